using GlobalZone.StateMachine.Commands;

namespace GlobalZone.StateMachine;

// Reader-writer locks and semaphores: the exclusive lock's record, queue, lease index, fencing counter and caps,
// with several grants at once. Fairness is strict first-in first-out: a lease is granted only when nobody waits
// ahead of it, so a waiting writer holds back the readers that came after it, and a semaphore fills in arrival order.
public sealed partial class KeyValueStateMachine
{
    private CommandResult ApplySharedLockAcquire(long index, LockAcquireCommand acquire, LockRecord? current)
    {
        var kind = LockModes.KindOf(acquire.Mode);
        if (kind == LockKind.Semaphore && acquire.Limit < 1)
            return CommandResult.Rejected(revision, "A semaphore's limit is 1 or more.");
        var limit = kind == LockKind.Semaphore ? acquire.Limit : 0;
        if (current is not null && (current.Kind != kind || current.Limit != limit))
        {
            return CommandResult.Failed(CommandStatus.Conflict, revision,
                $"Lock '{acquire.Name}' is {LockRecord.DescribeKind(current.Kind, current.Limit)}, not {LockRecord.DescribeKind(kind, limit)}; "
                + "a name is one kind of lock until nobody holds or awaits it.",
                lockRecord: current);
        }

        var record = current ?? new LockRecord(acquire.Name, null, []) { Kind = kind, Limit = limit };
        if (record.HolderOf(acquire.Lease) is { } held)
        {
            return held.Mode == acquire.Mode
                ? new CommandResult(CommandStatus.Applied, revision, true, [], Lock: record)
                : CommandResult.Failed(CommandStatus.Conflict, revision,
                    $"Lease {acquire.Lease} already holds lock '{acquire.Name}' in {held.Mode.ToString().ToLowerInvariant()} mode; release it before asking for {acquire.Mode.ToString().ToLowerInvariant()}.",
                    lockRecord: record);
        }

        if (record.Waiters.Any(w => w.Lease == acquire.Lease))
            return new CommandResult(CommandStatus.Applied, revision, false, [], Lock: record);
        if (record.Waiters.Count == 0 && Admits(record, acquire.Mode))
        {
            var granted = GrantShared(record, acquire.Lease, acquire.Owner, acquire.Mode, index);
            StoreLock(granted);
            return new CommandResult(CommandStatus.Applied, revision, true, [], Lock: granted);
        }

        return acquire.Wait ? Enqueue(index, acquire, record) : new CommandResult(CommandStatus.Applied, revision, false, [], Lock: record);
    }

    /// <summary>Whether a lease asking in <paramref name="mode"/> fits beside the current holders.</summary>
    private static bool Admits(LockRecord record, LockMode mode) => record.Kind switch
    {
        LockKind.ReaderWriter => mode == LockMode.Read ? record.Holders.All(h => h.Mode == LockMode.Read) : record.Holders.Count == 0,
        LockKind.Semaphore => record.Holders.Count < record.Limit,
        _ => false,
    };

    /// <summary>Adds a grant with the next fencing token and takes the lease out of the queue.</summary>
    private LockRecord GrantShared(LockRecord record, long lease, string owner, LockMode mode, long index)
    {
        fencingSequence++;
        SaveCounters();
        return record with
        {
            Holders = [.. record.Holders, new LockHolder(lease, owner, fencingSequence, index) { Mode = mode }],
            Waiters = record.Waiters.Where(w => w.Lease != lease).ToArray(),
        };
    }

    /// <summary>
    /// The shared kinds' <see cref="ReconcileLock"/>: grants and waiters whose lease is gone leave, then the queue's
    /// head is granted for as long as it fits (several readers, or semaphore permits, at once), stopping at the first
    /// that does not, so nobody overtakes it.
    /// </summary>
    private LockRecord? ReconcileSharedLock(LockRecord record, long index)
    {
        var next = record with
        {
            Holders = record.Holders.Where(h => leases.ContainsKey(h.Lease)).ToArray(),
            Waiters = record.Waiters.Where(w => leases.ContainsKey(w.Lease)).ToArray(),
        };
        while (next.Waiters.Count > 0 && Admits(next, next.Waiters[0].Mode))
        {
            var first = next.Waiters[0];
            next = GrantShared(next, first.Lease, first.Owner, first.Mode, index);
        }

        StoreLock(next);
        return next.IsFree ? null : next;
    }
}
