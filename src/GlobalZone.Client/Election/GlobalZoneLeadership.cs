using GlobalZone.Contracts;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Client;

/// <summary>
/// Being the leader of a <see cref="GlobalZoneElection"/>. <see cref="LostToken"/> fires the moment leadership is known
/// lost: the lease expired, was revoked or could not be renewed within its TTL, the leader key was deleted or taken
/// over by a later grant, or the lock shows another grant. Stop acting as leader when it fires, and fence what you do
/// with <see cref="FencingToken"/> (or <c>new WriteOptions { FencedBy = leadership.Lock }</c> on GlobalZone keys) so a
/// paused ex-leader cannot do harm. Dispose (or <see cref="ResignAsync"/>) to resign: the next candidate is elected at once.
/// </summary>
public sealed partial class GlobalZoneLeadership : IAsyncDisposable
{
    private readonly GlobalZoneClient client;
    private readonly CancellationTokenSource lost;
    private readonly CancellationTokenSource stop = new();
    private readonly Task watcher;
    private Task? resignation;

    private GlobalZoneLeadership(GlobalZoneClient client, string name, GlobalZoneLockHandle handle, string candidate, long writtenAt)
    {
        this.client = client;
        Name = name;
        Lock = handle;
        Candidate = candidate;
        lost = CancellationTokenSource.CreateLinkedTokenSource(handle.HandleLostToken);
        watcher = Task.Run(() => WatchLeaderKeyAsync(writtenAt + 1));
    }

    /// <summary>The election's name.</summary>
    public string Name { get; }

    /// <summary>The value this leader proclaims (its candidate name, or the last <see cref="ProclaimAsync"/>).</summary>
    public string Candidate { get; private set; }

    /// <summary>The grant's fencing token: larger than that of every earlier leader of this election.</summary>
    public long FencingToken => Lock.FencingToken;

    /// <summary>The <c>If-Fencing-Token</c> value of the grant: <c>{name}:{token}</c>.</summary>
    public string Fence => Lock.Fence;

    /// <summary>The lease that holds the leadership (renewed in the background). Keys put with it end with the leadership.</summary>
    public long LeaseId => Lock.LeaseId;

    /// <summary>The lock grant behind the leadership (pass it as <see cref="WriteOptions.FencedBy"/>).</summary>
    public GlobalZoneLockHandle Lock { get; }

    /// <summary>Fires when leadership is lost; not on a resignation.</summary>
    public CancellationToken LostToken => lost.Token;

    /// <summary>Whether leadership is known lost.</summary>
    public bool IsLost => lost.IsCancellationRequested;

    /// <summary>Changes the value observers see for this leader (etcd's Proclaim), fenced by the grant.</summary>
    /// <exception cref="FencingTokenRejectedException">No longer the leader (then <see cref="LostToken"/> fires too).</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task ProclaimAsync(string value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        try
        {
            await WriteAsync(client, Name, Lock, value, cancellationToken).ConfigureAwait(false);
            Candidate = value;
        }
        catch (FencingTokenRejectedException)
        {
            MarkLost("a proclamation was refused: the grant is no longer current");
            throw;
        }
    }

    /// <summary>
    /// Resigns: revokes the lease, which deletes the leader key and hands the lock to the next candidate in one step.
    /// Idempotent. <see cref="LostToken"/> does not fire.
    /// </summary>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget (the lease then expires by itself).</exception>
    public Task ResignAsync(CancellationToken cancellationToken = default)
        => LazyInitializer.EnsureInitialized(ref resignation, ResignOnceAsync).WaitAsync(cancellationToken);

    /// <summary>Resigns (best effort: if the cluster cannot be reached, the leadership ends when the lease expires).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await ResignAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is GlobalZoneException or ObjectDisposedException)
        {
            // Not revoked: the lease expires after its TTL and the next candidate is elected then.
        }
    }

    internal static async Task<GlobalZoneLeadership> BeginAsync(GlobalZoneClient client, string name, GlobalZoneLockHandle handle, string candidate, CancellationToken cancellationToken)
    {
        var written = await WriteAsync(client, name, handle, candidate, cancellationToken).ConfigureAwait(false);
        return new GlobalZoneLeadership(client, name, handle, candidate, written.Revision);
    }

    private static Task<WriteResult> WriteAsync(GlobalZoneClient client, string name, GlobalZoneLockHandle handle, string candidate, CancellationToken cancellationToken)
    {
        var leader = new ElectionLeader { Candidate = candidate, FencingToken = handle.FencingToken, Fence = handle.Fence, Lease = handle.LeaseId };
        // Fenced, so only the current grant can name itself leader; on the lease, so the name goes when the grant does.
        return client.PutAsync(name, leader, ElectionJsonContext.Default.ElectionLeader, new WriteOptions { Lease = handle.LeaseId, FencedBy = handle }, cancellationToken);
    }

    private async Task ResignOnceAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await watcher.ConfigureAwait(false);
        await Lock.ReleaseAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Watches the leader key: its deletion (the lease was revoked or expired) or a later grant's write is news of a lost
    /// leadership sooner than the next renewal or lock check would bring. A broken watch is not: the lease decides then.
    /// </summary>
    private async Task WatchLeaderKeyAsync(long fromRevision)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, lost.Token);
        try
        {
            await foreach (var change in client.WatchAsync(Name, new WatchOptions { FromRevision = fromRevision }, both.Token).ConfigureAwait(false))
            {
                var leader = change.Type == "delete" ? null : GlobalZoneElection.Parse(change.Kv);
                if (leader?.FencingToken == FencingToken)
                    continue;
                if (!stop.IsCancellationRequested)
                {
                    MarkLost(leader is null
                        ? "the leader key was deleted (lease revoked or expired, or deleted by hand)"
                        : $"the leader key names grant {leader.FencingToken} now");
                }

                return;
            }
        }
        catch (OperationCanceledException) when (both.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is GlobalZoneException or ObjectDisposedException)
        {
            // The lease's renewals and the lock handle's checks still stand guard.
        }
    }

    private void MarkLost(string reason)
    {
        if (lost.IsCancellationRequested)
            return;
        LogLost(client.Logger, Name, FencingToken, reason);
        try
        {
            lost.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    [LoggerMessage(EventId = 6501, Level = LogLevel.Warning, Message = "Election {Election}: leadership with token {FencingToken} lost: {Reason}")]
    private static partial void LogLost(ILogger logger, string election, long fencingToken, string reason);
}
