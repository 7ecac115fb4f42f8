using GlobalZone.StateMachine.Commands;

namespace GlobalZone.StateMachine;

// Locks: a grant is a state-machine fact (holder lease, label, fencing token); waiters queue in the state, so their
// order survives failover. Fencing tokens come from one counter that only grows, so every grant of a lock has a
// larger token than the one before, across leader changes, restarts and snapshots.
public sealed partial class KeyValueStateMachine
{
    private readonly SortedDictionary<string, LockRecord> locks = new(StringComparer.Ordinal);

    // Waiters of every lock together, kept in step by IndexLock/StoreLock, for the cluster-wide waiter cap.
    private long lockWaiterCount;

    /// <summary>Waiters queued on all locks together. Safe from any thread.</summary>
    public long LockWaiterCount => Interlocked.Read(ref lockWaiterCount);

    /// <summary>One lock, or null when it is free and nobody waits. Safe from any thread.</summary>
    public LockRecord? GetLock(string name)
    {
        gate.EnterReadLock();
        try
        {
            return locks.GetValueOrDefault(name);
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

    /// <summary>Held or awaited locks whose names start with <paramref name="prefix"/>, by name. Safe from any thread.</summary>
    public List<LockRecord> ListLocks(string prefix)
    {
        gate.EnterReadLock();
        try
        {
            return locks.Values.Where(l => l.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

    private CommandResult ApplyLockAcquire(long index, LockAcquireCommand acquire)
    {
        if (!leases.ContainsKey(acquire.Lease))
            return CommandResult.Failed(CommandStatus.NotFound, revision, $"Lease {acquire.Lease} does not exist (expired or revoked?).");
        var current = locks.GetValueOrDefault(acquire.Name);
        if (acquire.Mode != LockMode.Exclusive || current is { Kind: not LockKind.Exclusive })
            return ApplySharedLockAcquire(index, acquire, current);
        if (current?.Holder is null)
        {
            var granted = Grant(new LockRecord(acquire.Name, null, current?.Waiters ?? []), acquire.Lease, acquire.Owner, index);
            return new CommandResult(CommandStatus.Applied, revision, true, [], Lock: granted);
        }

        if (current.Holder.Lease == acquire.Lease)
            return new CommandResult(CommandStatus.Applied, revision, true, [], Lock: current);
        if (current.Waiters.Any(w => w.Lease == acquire.Lease) || !acquire.Wait)
            return new CommandResult(CommandStatus.Applied, revision, false, [], Lock: current);
        return Enqueue(index, acquire, current);
    }

    /// <summary>Queues a lease behind the others, unless a waiter cap (carried in the entry) is reached.</summary>
    private CommandResult Enqueue(long index, LockAcquireCommand acquire, LockRecord current)
    {
        // Caps from the entry: every member refuses the same waiter, and a queue cannot grow without bound.
        if (acquire.MaxWaitersPerLock > 0 && current.Waiters.Count >= acquire.MaxWaitersPerLock)
        {
            return CommandResult.Failed(CommandStatus.LimitReached, revision,
                $"Lock '{acquire.Name}' already has {current.Waiters.Count} waiters, its cap (GlobalZone:Limits:MaxLockWaitersPerLock = {acquire.MaxWaitersPerLock}); retry later.",
                lockRecord: current);
        }

        if (acquire.MaxWaitersTotal > 0 && lockWaiterCount >= acquire.MaxWaitersTotal)
        {
            return CommandResult.Failed(CommandStatus.LimitReached, revision,
                $"The cluster's locks have {lockWaiterCount} waiters, the cap (GlobalZone:Limits:MaxLockWaiters = {acquire.MaxWaitersTotal}); retry later.",
                lockRecord: current);
        }

        var queued = current with { Waiters = [.. current.Waiters, new LockWaiter(acquire.Lease, acquire.Owner, index) { Mode = acquire.Mode }] };
        StoreLock(queued);
        return new CommandResult(CommandStatus.Applied, revision, false, [], Lock: queued);
    }

    private CommandResult ApplyLockRelease(long index, LockReleaseCommand release)
    {
        if (!locks.TryGetValue(release.Name, out var current))
            return CommandResult.Failed(CommandStatus.NotFound, revision, $"Lock '{release.Name}' is neither held nor awaited.");
        if (release.Lease == 0 && release.FencingToken == 0)
            return CommandResult.Rejected(revision, "A release names the holding lease, the fencing token, or both.");
        if (release.OnlyIfWaiting && current.HolderOf(release.Lease) is not null)
            return new CommandResult(CommandStatus.Applied, revision, false, [], Lock: current);

        if (current.AllHolders.FirstOrDefault(h => (release.Lease == 0 || h.Lease == release.Lease)
                && (release.FencingToken == 0 || h.FencingToken == release.FencingToken)) is { } holder)
        {
            RemoveLockOfLease(holder.Lease, release.Name);
            var freed = current.Kind == LockKind.Exclusive
                ? current with { Holder = null }
                : current with { Holders = current.Holders.Where(h => h.Lease != holder.Lease).ToArray() };
            var after = ReconcileLock(freed, index);
            return new CommandResult(CommandStatus.Applied, revision, true, [], Lock: after);
        }

        if (release.Lease != 0 && release.FencingToken == 0 && current.Waiters.Any(w => w.Lease == release.Lease))
        {
            RemoveLockOfLease(release.Lease, release.Name);
            var after = ReconcileLock(current with { Waiters = current.Waiters.Where(w => w.Lease != release.Lease).ToArray() }, index);
            return new CommandResult(CommandStatus.Applied, revision, true, [], Lock: after);
        }

        return CommandResult.Failed(CommandStatus.Conflict, revision,
            current.AllHolders.Count > 0
                ? $"Lock '{release.Name}' is held by {current.DescribeHolders()}, not by the lease or token given."
                : $"Lock '{release.Name}' is not held.",
            lockRecord: current);
    }

    /// <summary>
    /// Brings a lock back to a consistent shape after leases left: waiters whose lease is gone leave the queue, a
    /// holder whose lease is gone loses the lock, and a free lock goes to the first remaining waiter.
    /// </summary>
    private LockRecord? ReconcileLock(LockRecord record, long index)
    {
        if (record.Kind != LockKind.Exclusive)
            return ReconcileSharedLock(record, index);
        var waiters = record.Waiters.Where(w => leases.ContainsKey(w.Lease)).ToList();
        var holder = record.Holder is { } h && leases.ContainsKey(h.Lease) ? h : null;
        if (holder is null && waiters.Count > 0)
        {
            var first = waiters[0];
            waiters.RemoveAt(0);
            return Grant(new LockRecord(record.Name, null, waiters), first.Lease, first.Owner, index);
        }

        var after = new LockRecord(record.Name, holder, waiters);
        StoreLock(after);
        return holder is null && waiters.Count == 0 ? null : after;
    }

    private LockRecord Grant(LockRecord free, long lease, string owner, long index)
    {
        fencingSequence++;
        SaveCounters();
        var granted = free with { Holder = new LockHolder(lease, owner, fencingSequence, index), Waiters = free.Waiters.Where(w => w.Lease != lease).ToArray() };
        StoreLock(granted);
        return granted;
    }

    /// <summary>
    /// Stores a lock (or forgets it when free and unqueued) and keeps the lease → locks index in step. Only what
    /// changed is written: the header (name and holder) and the waiters that joined or left, each a record of its own.
    /// </summary>
    private void StoreLock(LockRecord record)
    {
        var name = record.Name;
        var previous = locks.GetValueOrDefault(name);
        var previousWaiters = previous?.Waiters ?? [];
        // A lock read from the older layout kept its waiters inside its header: write them all out once.
        if (locksWithInlineWaiters.Remove(name))
            previousWaiters = [];
        StoreWaiterChanges(name, previousWaiters, record.Waiters);
        if (record.IsFree)
        {
            if (locks.Remove(name, out var removed))
            {
                lockWaiterCount -= removed.Waiters.Count;
                writes.Delete(StorageKeys.ForLock(name));
            }

            Notify(() => LockChanged?.Invoke(name, null));
            return;
        }

        lockWaiterCount += record.Waiters.Count - (previous?.Waiters.Count ?? 0);
        locks[name] = record;
        writes.Upsert(StorageKeys.ForLock(name), record.EncodeHeader());
        foreach (var holder in record.AllHolders)
            AddLockOfLease(holder.Lease, name);
        Notify(() => LockChanged?.Invoke(name, record));
    }

    /// <summary>
    /// Writes the waiters that joined and deletes those that left. Queues are ordered by the index each waiter queued
    /// at (appends only ever add later indexes), so one merge walk finds the difference.
    /// </summary>
    private void StoreWaiterChanges(string name, IReadOnlyList<LockWaiter> before, IReadOnlyList<LockWaiter> after)
    {
        int i = 0, j = 0;
        while (i < before.Count || j < after.Count)
        {
            var left = i < before.Count ? before[i].QueuedIndex : long.MaxValue;
            var right = j < after.Count ? after[j].QueuedIndex : long.MaxValue;
            if (left == right)
            {
                i++;
                j++;
            }
            else if (left < right)
            {
                writes.Delete(LockWaiterRecord.StorageKey(name, left));
                i++;
            }
            else
            {
                writes.Upsert(LockWaiterRecord.StorageKey(name, right), LockWaiterRecord.Encode(after[j]));
                AddLockOfLease(after[j].Lease, name);
                j++;
            }
        }
    }

    /// <summary>Locks read from the older layout, whose waiters are still inside the header record.</summary>
    private readonly HashSet<string> locksWithInlineWaiters = new(StringComparer.Ordinal);

    /// <summary>Waiters read from the store before their lock's queue is put together (the scan returns them in no order).</summary>
    private readonly Dictionary<string, List<LockWaiter>> scannedWaiters = new(StringComparer.Ordinal);

    private void IndexLock(LockRecord record)
    {
        if (record.Waiters.Count > 0)
            locksWithInlineWaiters.Add(record.Name);
        lockWaiterCount += record.Waiters.Count - (locks.GetValueOrDefault(record.Name)?.Waiters.Count ?? 0);
        locks[record.Name] = record;
        foreach (var holder in record.AllHolders)
            AddLockOfLease(holder.Lease, record.Name);
        foreach (var waiter in record.Waiters)
            AddLockOfLease(waiter.Lease, record.Name);
    }

    private void IndexLockWaiter(string storageKey, byte[] value)
    {
        var (name, waiter) = LockWaiterRecord.Decode(storageKey, value);
        if (!scannedWaiters.TryGetValue(name, out var list))
            scannedWaiters[name] = list = [];
        list.Add(waiter);
    }

    /// <summary>Puts each lock's queue together from the waiter records a full scan found, in queue order.</summary>
    private void CompleteLockIndex()
    {
        foreach (var (name, waiters) in scannedWaiters)
        {
            if (!locks.TryGetValue(name, out var record))
                continue;
            var queue = record.Waiters.Concat(waiters).OrderBy(w => w.QueuedIndex).ToArray();
            locks[name] = record with { Waiters = queue };
            lockWaiterCount += waiters.Count;
            foreach (var waiter in waiters)
                AddLockOfLease(waiter.Lease, name);
        }

        scannedWaiters.Clear();
    }

    private void AddLockOfLease(long lease, string name)
    {
        if (!leaseLocks.TryGetValue(lease, out var names))
            leaseLocks[lease] = names = new SortedSet<string>(StringComparer.Ordinal);
        names.Add(name);
    }

    private void RemoveLockOfLease(long lease, string name)
    {
        if (leaseLocks.TryGetValue(lease, out var names) && names.Remove(name) && names.Count == 0)
            leaseLocks.Remove(lease);
    }

    private bool FenceHolds(Fence fence, out LockRecord? current)
    {
        // Any current grant fences: a reader's or a semaphore permit's token proves its grant as a writer's does.
        current = locks.GetValueOrDefault(fence.Lock);
        return current?.HolderWithToken(fence.FencingToken) is { } holder && leases.ContainsKey(holder.Lease);
    }
}
