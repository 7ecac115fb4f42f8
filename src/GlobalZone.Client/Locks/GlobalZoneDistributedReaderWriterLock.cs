using GlobalZone.Client.Internal;
using Medallion.Threading;

namespace GlobalZone.Client;

/// <summary>
/// One named reader-writer lock (<see cref="IDistributedReaderWriterLock"/>): <c>TryAcquire…</c> returns null on
/// timeout, <c>Acquire…</c> throws <see cref="TimeoutException"/>. Handles are <see cref="GlobalZoneLockHandle"/>s
/// (fencing token, lost token) whose <see cref="GlobalZoneLockHandle.Mode"/> is <c>read</c> or <c>write</c>.
/// </summary>
public sealed class GlobalZoneDistributedReaderWriterLock : IDistributedReaderWriterLock
{
    private readonly GlobalZoneLockProvider locks;

    internal GlobalZoneDistributedReaderWriterLock(GlobalZoneLockProvider locks, string name)
    {
        this.locks = locks;
        Name = name;
    }

    /// <summary>The lock's name (one namespace with locks and semaphores).</summary>
    public string Name { get; }

    /// <summary>Acquires a read grant if it can within <paramref name="timeout"/> (default: without waiting); null otherwise.</summary>
    /// <exception cref="GlobalZoneException">The cluster refused (the name is another kind of lock), or the lease ended while waiting.</exception>
    public ValueTask<GlobalZoneLockHandle?> TryAcquireReadLockAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default)
        => locks.TryAcquireCoreAsync(Name, timeout, cancellationToken, LockRoute.Read);

    /// <summary>Acquires a read grant, waiting up to <paramref name="timeout"/> (null: no limit).</summary>
    /// <exception cref="TimeoutException">Not acquired in time.</exception>
    /// <exception cref="GlobalZoneException">The cluster refused, or the lease ended while waiting.</exception>
    public async ValueTask<GlobalZoneLockHandle> AcquireReadLockAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => await locks.TryAcquireCoreAsync(Name, timeout, cancellationToken, LockRoute.Read).ConfigureAwait(false)
           ?? throw new TimeoutException($"Read lock '{Name}' was not acquired within {timeout?.TotalSeconds:0.###} s.");

    /// <summary>Acquires the write grant if it can within <paramref name="timeout"/> (default: without waiting); null otherwise.</summary>
    /// <exception cref="GlobalZoneException">The cluster refused (the name is another kind of lock), or the lease ended while waiting.</exception>
    public ValueTask<GlobalZoneLockHandle?> TryAcquireWriteLockAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default)
        => locks.TryAcquireCoreAsync(Name, timeout, cancellationToken, LockRoute.Write);

    /// <summary>Acquires the write grant, waiting up to <paramref name="timeout"/> (null: no limit).</summary>
    /// <exception cref="TimeoutException">Not acquired in time.</exception>
    /// <exception cref="GlobalZoneException">The cluster refused, or the lease ended while waiting.</exception>
    public async ValueTask<GlobalZoneLockHandle> AcquireWriteLockAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => await locks.TryAcquireCoreAsync(Name, timeout, cancellationToken, LockRoute.Write).ConfigureAwait(false)
           ?? throw new TimeoutException($"Write lock '{Name}' was not acquired within {timeout?.TotalSeconds:0.###} s.");

    IDistributedSynchronizationHandle? IDistributedReaderWriterLock.TryAcquireReadLock(TimeSpan timeout, CancellationToken cancellationToken)
        => SyncOverAsync.Run(() => TryAcquireReadLockAsync(timeout, cancellationToken).AsTask());

    IDistributedSynchronizationHandle IDistributedReaderWriterLock.AcquireReadLock(TimeSpan? timeout, CancellationToken cancellationToken)
        => SyncOverAsync.Run(() => AcquireReadLockAsync(timeout, cancellationToken).AsTask());

    async ValueTask<IDistributedSynchronizationHandle?> IDistributedReaderWriterLock.TryAcquireReadLockAsync(TimeSpan timeout, CancellationToken cancellationToken)
        => await TryAcquireReadLockAsync(timeout, cancellationToken).ConfigureAwait(false);

    async ValueTask<IDistributedSynchronizationHandle> IDistributedReaderWriterLock.AcquireReadLockAsync(TimeSpan? timeout, CancellationToken cancellationToken)
        => await AcquireReadLockAsync(timeout, cancellationToken).ConfigureAwait(false);

    IDistributedSynchronizationHandle? IDistributedReaderWriterLock.TryAcquireWriteLock(TimeSpan timeout, CancellationToken cancellationToken)
        => SyncOverAsync.Run(() => TryAcquireWriteLockAsync(timeout, cancellationToken).AsTask());

    IDistributedSynchronizationHandle IDistributedReaderWriterLock.AcquireWriteLock(TimeSpan? timeout, CancellationToken cancellationToken)
        => SyncOverAsync.Run(() => AcquireWriteLockAsync(timeout, cancellationToken).AsTask());

    async ValueTask<IDistributedSynchronizationHandle?> IDistributedReaderWriterLock.TryAcquireWriteLockAsync(TimeSpan timeout, CancellationToken cancellationToken)
        => await TryAcquireWriteLockAsync(timeout, cancellationToken).ConfigureAwait(false);

    async ValueTask<IDistributedSynchronizationHandle> IDistributedReaderWriterLock.AcquireWriteLockAsync(TimeSpan? timeout, CancellationToken cancellationToken)
        => await AcquireWriteLockAsync(timeout, cancellationToken).ConfigureAwait(false);
}
