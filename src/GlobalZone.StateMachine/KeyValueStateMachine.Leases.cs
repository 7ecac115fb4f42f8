using System.Buffers.Binary;
using GlobalZone.StateMachine.Commands;

namespace GlobalZone.StateMachine;

// Leases: granted, renewed, revoked and expired only by commands, so every member holds the same leases. Expiry
// is the leader's decision (a LeaseExpireCommand); apply only checks that no renewal overtook that decision.
public sealed partial class KeyValueStateMachine
{
    private readonly SortedDictionary<long, LeaseRecord> leases = new();
    private readonly Dictionary<long, SortedSet<string>> leaseKeys = new();
    private readonly Dictionary<long, SortedSet<string>> leaseLocks = new();
    private long nextLeaseId = 1;
    private long fencingSequence;

    /// <summary>Longest lease TTL apply accepts (a week); the API refuses longer ones before they reach the log.</summary>
    public const long MaxLeaseTtlMs = 7L * 24 * 3600 * 1000;

    /// <summary>One lease, or null. Safe from any thread.</summary>
    public LeaseRecord? GetLease(long id)
    {
        gate.EnterReadLock();
        try
        {
            return leases.GetValueOrDefault(id);
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

    /// <summary>Every lease, by id. Safe from any thread.</summary>
    public List<LeaseRecord> ListLeases()
    {
        gate.EnterReadLock();
        try
        {
            return [.. leases.Values];
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

    /// <summary>Number of live leases (for the cap check before proposing). Safe from any thread.</summary>
    public int LeaseCount
    {
        get
        {
            gate.EnterReadLock();
            try
            {
                return leases.Count;
            }
            finally
            {
                gate.ExitReadLock();
            }
        }
    }

    /// <summary>The keys attached to a lease, in key order. Safe from any thread.</summary>
    public List<string> LeaseKeys(long id)
    {
        gate.EnterReadLock();
        try
        {
            return leaseKeys.TryGetValue(id, out var keys) ? [.. keys] : [];
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

    private CommandResult ApplyLeaseGrant(long index, LeaseGrantCommand grant)
    {
        if (grant.TtlMs <= 0 || grant.TtlMs > MaxLeaseTtlMs || grant.RequestedId < 0)
            return CommandResult.Rejected(revision, "Lease TTL or id out of range.");
        var id = grant.RequestedId;
        if (id != 0 && leases.ContainsKey(id))
            return CommandResult.Failed(CommandStatus.Conflict, revision, $"Lease {id} already exists.", lease: leases[id]);
        // The cap comes from the entry, not from this member's configuration, so every member refuses the same grant.
        if (grant.MaxLeases > 0 && leases.Count >= grant.MaxLeases)
        {
            return CommandResult.Failed(CommandStatus.LimitReached, revision,
                $"The cluster holds {leases.Count} leases, its cap (GlobalZone:Limits:MaxLeases = {grant.MaxLeases}); revoke unused leases or retry later.");
        }
        if (id == 0)
        {
            while (leases.ContainsKey(nextLeaseId))
                nextLeaseId++;
            id = nextLeaseId++;
        }
        else if (id >= nextLeaseId)
        {
            nextLeaseId = id + 1;
        }

        SaveCounters();
        var lease = new LeaseRecord(id, grant.TtlMs, index, index);
        StoreLease(lease);
        return new CommandResult(CommandStatus.Applied, revision, true, [], Lease: lease);
    }

    private CommandResult ApplyLeaseKeepAlive(long index, LeaseKeepAliveCommand keepAlive)
    {
        if (!leases.TryGetValue(keepAlive.Id, out var lease))
            return CommandResult.Failed(CommandStatus.NotFound, revision, $"Lease {keepAlive.Id} does not exist (expired or revoked?).");
        lease = lease with { RenewIndex = index };
        StoreLease(lease);
        return new CommandResult(CommandStatus.Applied, revision, true, [], Lease: lease);
    }

    private CommandResult ApplyLeaseRevoke(long index, LeaseRevokeCommand revoke, out List<HistoryEvent>? events)
    {
        events = null;
        if (!leases.TryGetValue(revoke.Id, out var lease))
            return CommandResult.Failed(CommandStatus.NotFound, revision, $"Lease {revoke.Id} does not exist (expired or revoked?).");
        var deleted = EndLeases([revoke.Id], index, ref events);
        return new CommandResult(CommandStatus.Applied, revision, true, [new OperationResult(TxnOperationKind.DeletePrefix, Deleted: deleted)], Lease: lease);
    }

    private CommandResult ApplyLeaseExpire(long index, LeaseExpireCommand expire, out List<HistoryEvent>? events)
    {
        events = null;
        var ending = new List<long>();
        foreach (var candidate in expire.Leases)
        {
            // A renewal applied after the leader's decision means the holder was acknowledged later: it wins.
            if (leases.TryGetValue(candidate.Id, out var lease) && lease.RenewIndex == candidate.RenewIndex && !ending.Contains(candidate.Id))
                ending.Add(candidate.Id);
        }

        var deleted = ending.Count == 0 ? 0 : EndLeases(ending, index, ref events);
        return new CommandResult(CommandStatus.Applied, revision, ending.Count > 0, [new OperationResult(TxnOperationKind.DeletePrefix, Deleted: deleted)]);
    }

    /// <summary>
    /// Ends leases: deletes their keys at one revision, drops them from lock queues, and releases the locks they
    /// hold to the next waiter whose lease lives on. All ending leases leave the queues first, so no lock is
    /// handed, within this command, to a lease that is about to end too.
    /// </summary>
    private long EndLeases(IReadOnlyList<long> ids, long index, ref List<HistoryEvent>? events)
    {
        var next = revision + 1;
        var touchedLocks = new SortedSet<string>(StringComparer.Ordinal);
        long deleted = 0;
        foreach (var id in ids)
        {
            leases.Remove(id);
            writes.Delete(StorageKeys.ForLease(id));
            if (leaseLocks.Remove(id, out var lockNames))
                touchedLocks.UnionWith(lockNames);
            var id1 = id;
            Notify(() => LeaseEnded?.Invoke(id1));
        }

        foreach (var id in ids)
        {
            if (!leaseKeys.Remove(id, out var keys))
                continue;
            foreach (var key in keys)
            {
                if (ReadRecord(key) is { } previous)
                {
                    DeleteRecord(previous, next, ref events);
                    deleted++;
                }
            }
        }

        foreach (var name in touchedLocks)
        {
            if (locks.TryGetValue(name, out var record))
                ReconcileLock(record, index);
        }

        CommitRevision(next, events);
        return deleted;
    }

    private void StoreLease(LeaseRecord lease)
    {
        leases[lease.Id] = lease;
        writes.Upsert(StorageKeys.ForLease(lease.Id), lease.Encode());
        Notify(() => LeaseRenewed?.Invoke(lease));
    }

    private void IndexLease(LeaseRecord lease) => leases[lease.Id] = lease;

    private void AttachToLease(long lease, string key)
    {
        if (!leaseKeys.TryGetValue(lease, out var keys))
            leaseKeys[lease] = keys = new SortedSet<string>(StringComparer.Ordinal);
        keys.Add(key);
    }

    private void DetachFromLease(long lease, string key)
    {
        if (leaseKeys.TryGetValue(lease, out var keys) && keys.Remove(key) && keys.Count == 0)
            leaseKeys.Remove(lease);
    }

    private void ClearLeaseAndLockIndexes()
    {
        leases.Clear();
        leaseKeys.Clear();
        leaseLocks.Clear();
        locks.Clear();
        lockWaiterCount = 0;
        nextLeaseId = 1;
        fencingSequence = 0;
    }

    private void SaveCounters()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, nextLeaseId);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), fencingSequence);
        writes.Upsert(StorageKeys.Counters, bytes);
    }

    private void LoadCounters(ReadOnlySpan<byte> bytes)
    {
        nextLeaseId = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        fencingSequence = BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]);
    }
}
