using GlobalZone.Client.Internal;
using Medallion.Threading;

namespace GlobalZone.Client;

/// <summary>
/// One named lock (<see cref="IDistributedLock"/>): <c>TryAcquire</c> returns null on timeout, <c>Acquire</c> throws
/// <see cref="TimeoutException"/>. Handles are <see cref="GlobalZoneLockHandle"/>s (fencing token, lost token).
/// </summary>
public sealed class GlobalZoneDistributedLock : IDistributedLock
{
    private readonly GlobalZoneLockProvider provider;

    internal GlobalZoneDistributedLock(GlobalZoneLockProvider provider, string name)
    {
        this.provider = provider;
        Name = name;
    }

    /// <summary>The lock's name.</summary>
    public string Name { get; }

    /// <summary>Acquires the lock if it can within <paramref name="timeout"/> (default: without waiting); null otherwise.</summary>
    /// <exception cref="GlobalZoneException">The cluster refused, or the lease ended while waiting.</exception>
    public ValueTask<GlobalZoneLockHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default)
        => provider.TryAcquireAsync(Name, timeout, cancellationToken);

    /// <summary>Acquires the lock, waiting up to <paramref name="timeout"/> (null: no limit).</summary>
    /// <exception cref="TimeoutException">Not acquired in time.</exception>
    /// <exception cref="GlobalZoneException">The cluster refused, or the lease ended while waiting.</exception>
    public ValueTask<GlobalZoneLockHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => provider.AcquireAsync(Name, timeout, cancellationToken);

    /// <summary>Synchronous <see cref="TryAcquireAsync"/>.</summary>
    public GlobalZoneLockHandle? TryAcquire(TimeSpan timeout = default, CancellationToken cancellationToken = default)
        => SyncOverAsync.Run(() => provider.TryAcquireAsync(Name, timeout, cancellationToken).AsTask());

    /// <summary>Synchronous <see cref="AcquireAsync"/>.</summary>
    /// <exception cref="TimeoutException">Not acquired in time.</exception>
    public GlobalZoneLockHandle Acquire(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => SyncOverAsync.Run(() => provider.AcquireAsync(Name, timeout, cancellationToken).AsTask());

    IDistributedSynchronizationHandle? IDistributedLock.TryAcquire(TimeSpan timeout, CancellationToken cancellationToken) => TryAcquire(timeout, cancellationToken);

    IDistributedSynchronizationHandle IDistributedLock.Acquire(TimeSpan? timeout, CancellationToken cancellationToken) => Acquire(timeout, cancellationToken);

    async ValueTask<IDistributedSynchronizationHandle?> IDistributedLock.TryAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken)
        => await TryAcquireAsync(timeout, cancellationToken).ConfigureAwait(false);

    async ValueTask<IDistributedSynchronizationHandle> IDistributedLock.AcquireAsync(TimeSpan? timeout, CancellationToken cancellationToken)
        => await AcquireAsync(timeout, cancellationToken).ConfigureAwait(false);
}
