using System.Net;
using System.Text.Json;
using GlobalZone.Client.Internal;
using GlobalZone.Contracts;
using Medallion.Threading;

namespace GlobalZone.Client;

/// <summary>
/// Distributed locks on a GlobalZone cluster: <c>await using var handle = await locks.AcquireAsync("name", timeout, ct)</c>.
/// Each handle holds the lock with its own lease (renewed in the background), carries a fencing token that strictly
/// increases with every grant of the lock, and a <see cref="GlobalZoneLockHandle.HandleLostToken"/> that fires when
/// the lease is lost. Waiters are served first-in first-out by the cluster. Implements
/// <see cref="IDistributedLockProvider"/>, so code written for the DistributedLock family switches with one line:
/// <c>IDistributedLockProvider provider = client.Locks;</c>
/// </summary>
/// <remarks>
/// A lock alone cannot protect a resource outside GlobalZone: a holder paused past its lease (GC, VM freeze) can
/// still act after another holder got the lock. Make the resource check the fencing token; GlobalZone's own keys do
/// when a write carries <see cref="WriteOptions.FencedBy"/>.
/// </remarks>
public sealed class GlobalZoneLockProvider : IDistributedLockProvider
{
    private readonly GlobalZoneClient client;

    internal GlobalZoneLockProvider(GlobalZoneClient client) => this.client = client;

    internal TimeProvider Time => client.Time;

    /// <summary>A lock object for <paramref name="name"/> (no request is made until it is acquired).</summary>
    public GlobalZoneDistributedLock CreateLock(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new GlobalZoneDistributedLock(this, name);
    }

    IDistributedLock IDistributedLockProvider.CreateLock(string name) => CreateLock(name);

    /// <summary>Acquires the lock, waiting in the cluster's queue up to <paramref name="timeout"/> (null: for as long as it takes).</summary>
    /// <param name="name">The lock's name (any key-like text).</param>
    /// <param name="timeout">How long to wait; null: no limit; zero: do not wait.</param>
    /// <param name="cancellationToken">Cancels waiting (the place in the queue is given up).</param>
    /// <exception cref="TimeoutException">Not acquired within <paramref name="timeout"/>.</exception>
    /// <exception cref="GlobalZoneException">The cluster refused (bad name), or the lease ended while waiting.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async ValueTask<GlobalZoneLockHandle> AcquireAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => await TryAcquireCoreAsync(name, timeout, cancellationToken).ConfigureAwait(false)
           ?? throw new TimeoutException($"Lock '{name}' was not acquired within {timeout?.TotalSeconds:0.###} s.");

    /// <summary>Acquires the lock if it can within <paramref name="timeout"/> (default: without waiting); null otherwise.</summary>
    /// <inheritdoc cref="AcquireAsync"/>
    public ValueTask<GlobalZoneLockHandle?> TryAcquireAsync(string name, TimeSpan timeout = default, CancellationToken cancellationToken = default)
        => TryAcquireCoreAsync(name, timeout, cancellationToken);

    /// <summary>The lock as it is: its holder (with fencing token) and waiters in queue order.</summary>
    /// <exception cref="GlobalZoneException">The cluster refused the read.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task<LockInfo> GetAsync(string name, ReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var path = "v1/locks/" + KeyPath.Encode(name) + KeyPath.Query(("consistency", options?.Consistency == ReadConsistency.Stale ? "stale" : "linearizable"));
        using var response = await client.Executor.SendAsync(RequestKind.Read, member => new HttpRequestMessage(HttpMethod.Get, new Uri(member, path)), cancellationToken)
            .ConfigureAwait(false);
        await GlobalZoneClient.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await GlobalZoneClient.ReadJsonAsync(response, ContractsJsonContext.Default.LockInfo, cancellationToken).ConfigureAwait(false);
    }

    internal async ValueTask<GlobalZoneLockHandle?> TryAcquireCoreAsync(string name, TimeSpan? timeout, CancellationToken cancellationToken, LockRoute? route = null)
    {
        route ??= LockRoute.Exclusive;
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (timeout == Timeout.InfiniteTimeSpan)
            timeout = null;
        if (timeout < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must not be negative (null or Timeout.InfiniteTimeSpan: no limit).");

        var options = client.Options;
        var started = client.Time.GetTimestamp();
        var lease = await client.GrantLeaseAsync(options.LockLeaseTtl, null, cancellationToken).ConfigureAwait(false);
        var acquired = false;
        try
        {
            while (true)
            {
                var left = timeout is { } limit ? limit - client.Time.GetElapsedTime(started) : options.LockWaitSlice;
                var wait = left <= TimeSpan.Zero ? TimeSpan.Zero : left < options.LockWaitSlice ? left : options.LockWaitSlice;
                using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.LostToken);
                LockGrant? grant;
                try
                {
                    grant = await RequestGrantAsync(route, name, lease.Id, wait, waiting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (lease.IsLost && !cancellationToken.IsCancellationRequested)
                {
                    grant = null;
                }

                if (lease.IsLost)
                    throw new GlobalZoneException(HttpStatusCode.NotFound, null, $"The lease waiting for {route.Noun} '{name}' was lost ({lease.LostReason}).");
                if (grant is not null)
                {
                    acquired = true;
                    return new GlobalZoneLockHandle(this, name, grant, lease, client.Logger);
                }

                if (timeout is { } total && client.Time.GetElapsedTime(started) >= total)
                    return null;
            }
        }
        finally
        {
            if (!acquired)
            {
                // Revoking the lease leaves the queue and releases a grant that may have arrived as we gave up.
                if (cancellationToken.IsCancellationRequested)
                    _ = lease.DisposeAsync().AsTask();
                else
                    await lease.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>One acquire request: the grant, or null when the lock stayed held for the whole wait.</summary>
    private async Task<LockGrant?> RequestGrantAsync(LockRoute route, string name, long lease, TimeSpan wait, CancellationToken token)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new LockAcquireRequest { Lease = lease, Wait = wait > TimeSpan.Zero ? Math.Round(wait.TotalSeconds, 3) : null, Owner = client.Owner },
            ContractsJsonContext.Default.LockAcquireRequest);
        var path = route.Prefix + KeyPath.Encode(name) + route.Query;
        // A fresh Idempotency-Key per attempt: acquiring is idempotent per lease in the state machine (a holder stays
        // holder, a waiter is not queued twice), while a replayed first outcome could hide that the queue changed since.
        using var response = await client.Executor.SendAsync(RequestKind.Write, member =>
        {
            var message = new HttpRequestMessage(HttpMethod.Post, new Uri(member, path)) { Content = new ByteArrayContent(body) };
            message.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            message.Headers.TryAddWithoutValidation(HeaderNames.IdempotencyKey, GlobalZoneClient.NewIdempotencyKey());
            return message;
        }, token, attemptTimeout: wait + client.Options.RequestTimeout).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            var problem = await ProblemReader.ReadAsync(response, token).ConfigureAwait(false);
            if (problem?.Type == ProblemTypes.LockHeld)
                return null;
            throw ProblemReader.ToException(response, problem);
        }

        await GlobalZoneClient.EnsureSuccessAsync(response, token).ConfigureAwait(false);
        return await GlobalZoneClient.ReadJsonAsync(response, ContractsJsonContext.Default.LockGrant, token).ConfigureAwait(false);
    }
}
