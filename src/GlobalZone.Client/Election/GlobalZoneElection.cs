using System.Runtime.CompilerServices;
using System.Text.Json;
using GlobalZone.Contracts;

namespace GlobalZone.Client;

/// <summary>
/// Leader election on a GlobalZone cluster (etcd's <c>concurrency.Election</c>, Curator's <c>LeaderLatch</c>), built on
/// the fenced lock of the same name: <c>await using var leadership = await election.CampaignAsync("host:pid", ct)</c>.
/// Candidates wait in the lock's first-in first-out queue; the grant makes a leader, its fencing token orders leaders,
/// its lease bounds how long a dead leader keeps the office. The leader writes the key of the same name (fenced by
/// its grant, attached to its lease) with who it is; <see cref="ObserveAsync"/> watches that key.
/// </summary>
/// <remarks>
/// The election owns both the lock <c>NAME</c> and the key <c>NAME</c>: do not store anything else under that key.
/// Permissions follow the key: campaigning needs write access to <c>NAME</c>, observing read access.
/// </remarks>
public sealed class GlobalZoneElection
{
    private readonly GlobalZoneClient client;

    /// <summary>An election named <paramref name="name"/> (no request is made until you campaign or observe).</summary>
    public GlobalZoneElection(GlobalZoneClient client, string name)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(name);
        this.client = client;
        Name = name;
    }

    /// <summary>The election's name: its lock and its leader key.</summary>
    public string Name { get; }

    /// <summary>
    /// Waits until elected (for as long as it takes) and returns the leadership. Dispose or
    /// <see cref="GlobalZoneLeadership.ResignAsync"/> it to hand over to the next candidate.
    /// </summary>
    /// <param name="candidate">What this candidate calls itself once leader (null: <see cref="GlobalZoneClient.Owner"/>, host and pid).</param>
    /// <param name="cancellationToken">Stops campaigning (the place in the queue is given up).</param>
    /// <exception cref="GlobalZoneException">The cluster refused (a bad name, no permission), or the lease ended while waiting.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task<GlobalZoneLeadership> CampaignAsync(string? candidate = null, CancellationToken cancellationToken = default)
        => (await CampaignCoreAsync(candidate, null, cancellationToken).ConfigureAwait(false))!;

    /// <summary>Campaigns for up to <paramref name="timeout"/>; null when another candidate led all that time.</summary>
    /// <inheritdoc cref="CampaignAsync"/>
    public Task<GlobalZoneLeadership?> TryCampaignAsync(string? candidate, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        return CampaignCoreAsync(candidate, timeout, cancellationToken);
    }

    /// <summary>The current leader (linearizable read), or null when there is none.</summary>
    /// <exception cref="GlobalZoneException">The cluster refused the read.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task<ElectionLeader?> GetLeaderAsync(CancellationToken cancellationToken = default)
        => Parse(await client.GetAsync(Name, ReadOptions.Linearizable, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// The leader now, then every change of leader (null: none) as it happens, for as long as you enumerate: a watch on
    /// the leader key, so a change arrives as soon as the cluster applies it, and the watch resumes by itself across
    /// member crashes and leader changes without missing one. Between two leaders there is usually a null: the old
    /// leader's key goes with its lease, and the next leader writes its own just after its grant.
    /// </summary>
    /// <exception cref="WatchCompactedException">The watch fell further behind than the cluster's history reaches.</exception>
    /// <exception cref="GlobalZoneException">The cluster refused the read or the watch.</exception>
    public async IAsyncEnumerable<ElectionLeader?> ObserveAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // A listing (not a get) because it says at which revision the key was absent: the watch starts right after it.
        var page = await client.ListAsync(Name, new ListOptions { Limit = 1, Read = ReadOptions.Linearizable }, cancellationToken).ConfigureAwait(false);
        var last = Parse(page.Items.FirstOrDefault(kv => kv.Key == Name));
        yield return last;
        await foreach (var change in client.WatchAsync(Name, new WatchOptions { FromRevision = page.Revision + 1 }, cancellationToken).ConfigureAwait(false))
        {
            var now = change.Type == "delete" ? null : Parse(change.Kv);
            if (now != last)
            {
                last = now;
                yield return now;
            }
        }
    }

    /// <summary>The leader a key value names; null for no key or a value that is not an election's.</summary>
    internal static ElectionLeader? Parse(KeyValue? kv)
    {
        if (kv?.Value is not { ValueKind: JsonValueKind.Object } value)
            return null;
        try
        {
            return value.Deserialize(ElectionJsonContext.Default.ElectionLeader);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<GlobalZoneLeadership?> CampaignCoreAsync(string? candidate, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        candidate ??= client.Owner;
        var started = client.Time.GetTimestamp();
        while (true)
        {
            var left = timeout is { } limit ? limit - client.Time.GetElapsedTime(started) : (TimeSpan?)null;
            var handle = await client.Locks.TryAcquireCoreAsync(Name, left < TimeSpan.Zero ? TimeSpan.Zero : left, cancellationToken).ConfigureAwait(false);
            if (handle is null)
                return null;
            try
            {
                return await GlobalZoneLeadership.BeginAsync(client, Name, handle, candidate, cancellationToken).ConfigureAwait(false);
            }
            catch (FencingTokenRejectedException)
            {
                // The grant ended before the leader key was written (lease lost, released by token): not elected after all.
                await handle.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await handle.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }
}
