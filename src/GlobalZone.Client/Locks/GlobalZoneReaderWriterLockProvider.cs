using Medallion.Threading;

namespace GlobalZone.Client;

/// <summary>
/// Reader-writer locks on a GlobalZone cluster: any number of readers, or one writer. Waiters are served first-in
/// first-out by the cluster, so a waiting writer holds back readers that come after it (no writer starvation). Each
/// handle holds its grant with its own lease and carries its own fencing token. Implements
/// <see cref="IDistributedReaderWriterLockProvider"/>: <c>IDistributedReaderWriterLockProvider provider = client.ReaderWriterLocks;</c>
/// </summary>
public sealed class GlobalZoneReaderWriterLockProvider : IDistributedReaderWriterLockProvider
{
    internal GlobalZoneReaderWriterLockProvider(GlobalZoneLockProvider locks) => Locks = locks;

    internal GlobalZoneLockProvider Locks { get; }

    /// <summary>A reader-writer lock object for <paramref name="name"/> (no request is made until it is acquired).</summary>
    public GlobalZoneDistributedReaderWriterLock CreateReaderWriterLock(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new GlobalZoneDistributedReaderWriterLock(Locks, name);
    }

    IDistributedReaderWriterLock IDistributedReaderWriterLockProvider.CreateReaderWriterLock(string name) => CreateReaderWriterLock(name);
}
