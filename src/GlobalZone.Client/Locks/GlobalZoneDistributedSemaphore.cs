using GlobalZone.Client.Internal;
using Medallion.Threading;

namespace GlobalZone.Client;

/// <summary>
/// One named semaphore (<see cref="IDistributedSemaphore"/>): <c>TryAcquire</c> returns null on timeout, <c>Acquire</c>
/// throws <see cref="TimeoutException"/>. Handles are <see cref="GlobalZoneLockHandle"/>s (fencing token, lost token).
/// </summary>
public sealed class GlobalZoneDistributedSemaphore : IDistributedSemaphore
{
    private readonly GlobalZoneLockProvider locks;
    private readonly LockRoute route;

    internal GlobalZoneDistributedSemaphore(GlobalZoneLockProvider locks, string name, int maxCount)
    {
        this.locks = locks;
        Name = name;
        MaxCount = maxCount;
        route = LockRoute.Semaphore(maxCount);
    }

    /// <summary>The semaphore's name (one namespace with locks and reader-writer locks).</summary>
    public string Name { get; }

    /// <summary>How many leases may hold it at once.</summary>
    public int MaxCount { get; }

    /// <summary>Acquires a permit if it can within <paramref name="timeout"/> (default: without waiting); null otherwise.</summary>
    /// <exception cref="GlobalZoneException">The cluster refused (another kind of lock, or another limit, holds the name), or the lease ended while waiting.</exception>
    public ValueTask<GlobalZoneLockHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default)
        => locks.TryAcquireCoreAsync(Name, timeout, cancellationToken, route);

    /// <summary>Acquires a permit, waiting up to <paramref name="timeout"/> (null: no limit).</summary>
    /// <exception cref="TimeoutException">Not acquired in time.</exception>
    /// <exception cref="GlobalZoneException">The cluster refused, or the lease ended while waiting.</exception>
    public async ValueTask<GlobalZoneLockHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => await locks.TryAcquireCoreAsync(Name, timeout, cancellationToken, route).ConfigureAwait(false)
           ?? throw new TimeoutException($"Semaphore '{Name}' was not acquired within {timeout?.TotalSeconds:0.###} s.");

    IDistributedSynchronizationHandle? IDistributedSemaphore.TryAcquire(TimeSpan timeout, CancellationToken cancellationToken)
        => SyncOverAsync.Run(() => TryAcquireAsync(timeout, cancellationToken).AsTask());

    IDistributedSynchronizationHandle IDistributedSemaphore.Acquire(TimeSpan? timeout, CancellationToken cancellationToken)
        => SyncOverAsync.Run(() => AcquireAsync(timeout, cancellationToken).AsTask());

    async ValueTask<IDistributedSynchronizationHandle?> IDistributedSemaphore.TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken)
        => await TryAcquireAsync(timeout, cancellationToken).ConfigureAwait(false);

    async ValueTask<IDistributedSynchronizationHandle> IDistributedSemaphore.AcquireAsync(TimeSpan? timeout, CancellationToken cancellationToken)
        => await AcquireAsync(timeout, cancellationToken).ConfigureAwait(false);
}
