using GlobalZone.Client.Internal;
using GlobalZone.Contracts;
using Medallion.Threading;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Client;

/// <summary>
/// A held lock. Dispose it to release (idempotent; concurrent disposers wait for the one release). Pass it as
/// <see cref="WriteOptions.FencedBy"/> to make a write apply only while this grant is current, and send
/// <see cref="FencingToken"/> to any other resource the lock protects so that it can refuse older holders.
/// </summary>
public sealed partial class GlobalZoneLockHandle : IDistributedSynchronizationHandle
{
    private readonly GlobalZoneLockProvider provider;
    private readonly GlobalZoneLease lease;
    private readonly CancellationTokenSource lost;
    private readonly CancellationTokenSource stop = new();
    private readonly Task monitor;
    private Task? release;

    internal GlobalZoneLockHandle(GlobalZoneLockProvider provider, string name, LockGrant grant, GlobalZoneLease lease, ILogger logger)
    {
        this.provider = provider;
        Name = name;
        FencingToken = grant.FencingToken;
        Fence = grant.Fence;
        Owner = grant.Owner;
        Mode = grant.Mode;
        this.lease = lease;
        lost = CancellationTokenSource.CreateLinkedTokenSource(lease.LostToken);
        monitor = Task.Run(() => MonitorAsync(logger));
    }

    /// <summary>The lock's name.</summary>
    public string Name { get; }

    /// <summary>The grant's fencing token: larger than that of every earlier grant of this lock.</summary>
    public long FencingToken { get; }

    /// <summary>The <c>If-Fencing-Token</c> value of this grant: <c>{name}:{token}</c>.</summary>
    public string Fence { get; }

    /// <summary>How the grant holds: <c>read</c> or <c>write</c> (reader-writer lock), <c>permit</c> (semaphore); null for an exclusive lock.</summary>
    public string? Mode { get; }

    /// <summary>The label the lock was taken with (<see cref="GlobalZoneClientOptions.Owner"/>).</summary>
    public string? Owner { get; }

    /// <summary>
    /// The lease that holds the lock (renewed in the background while the handle lives). Keys put with this lease
    /// live exactly as long as the grant.
    /// </summary>
    public long LeaseId => lease.Id;

    /// <summary>
    /// Fires when the lock is lost: its lease expired or was revoked, could not be renewed within its TTL, or the
    /// cluster shows another grant (or none) for the lock. Stop touching the protected resource when it fires. It
    /// does not fire on a normal release.
    /// </summary>
    public CancellationToken HandleLostToken => lost.Token;

    /// <summary>Whether the lock is known lost.</summary>
    public bool IsLost => lost.IsCancellationRequested;

    /// <summary>Releases the lock now (revokes its lease), waiting for the cluster's answer. Idempotent.</summary>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget (the lease then expires by itself).</exception>
    public Task ReleaseAsync(CancellationToken cancellationToken = default)
        => LazyInitializer.EnsureInitialized(ref release, ReleaseOnceAsync).WaitAsync(cancellationToken);

    /// <summary>Releases the lock (best effort: if the cluster cannot be reached, it frees itself when the lease expires).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await ReleaseAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is GlobalZoneException or ObjectDisposedException)
        {
            // The lease could not be revoked: it expires after its TTL, and the lock with it.
        }
    }

    /// <summary>Synchronous <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => SyncOverAsync.Run(() => DisposeAsync().AsTask());

    private async Task ReleaseOnceAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await monitor.ConfigureAwait(false);
        await lease.RevokeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Looks at the lock itself now and then: a grant can end without its lease ending (an operator released it by
    /// token). Only a definite answer that the grant is not current marks it lost; unreachability is the lease's call.
    /// </summary>
    private async Task MonitorAsync(ILogger logger)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, lost.Token);
        var token = both.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                await Task.Delay(lease.KeepAliveInterval, provider.Time, token).ConfigureAwait(false);
                LockInfo info;
                try
                {
                    info = await provider.GetAsync(Name, ReadOptions.Linearizable, token).ConfigureAwait(false);
                }
                catch (GlobalZoneException)
                {
                    continue;
                }

                // A reader-writer lock or a semaphore lists several grants: this one must be among them.
                var current = info.Holder is { } holder ? [holder] : info.Holders ?? [];
                if (!current.Any(g => g.FencingToken == FencingToken) && !stop.IsCancellationRequested)
                {
                    LogGrantEnded(logger, Name, FencingToken, current.Count > 0 ? current[^1].FencingToken : null);
                    await lost.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
            // The client was disposed under the handle.
        }
    }

    [LoggerMessage(EventId = 6401, Level = LogLevel.Warning, Message = "Lock {Lock}: grant {FencingToken} is no longer current (latest holder's token now {CurrentToken}); the handle is lost")]
    private static partial void LogGrantEnded(ILogger logger, string @lock, long fencingToken, long? currentToken);
}
