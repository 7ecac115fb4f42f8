using System.Buffers.Binary;
using System.Security.Cryptography;
using GlobalZone.StateMachine.Commands;

namespace GlobalZone.StateMachine;

// Idempotent writes: the outcome of a command carrying an Idempotency-Key is remembered in the replicated state,
// so a retry (on any member, under any leader) gets the first outcome back instead of applying twice. A digest of
// the command catches a key reused for a different request. Records are forgotten only by an
// IdempotencyCompactCommand the leader proposes, so the window is the same on every member.
//
// A replay repeats the first outcome, except where that outcome was a claim about the present that may have
// stopped being true: a lock grant (the lease may have lost the lock since) and a lease renewal (the lease may
// have ended). Those are checked against the state at the replay's position in the log (deterministic, like any
// apply) and answered as Superseded when no longer true, so a retry never tells a client it holds what it does not.
public sealed partial class KeyValueStateMachine
{
    private const int DigestBytes = 32;
    private readonly SortedSet<(long RecordedAtMs, string Key)> idempotencyByTime = new();

    /// <summary>Number of remembered idempotent outcomes.</summary>
    public int IdempotencyRecordCount
    {
        get
        {
            gate.EnterReadLock();
            try
            {
                return idempotencyByTime.Count;
            }
            finally
            {
                gate.ExitReadLock();
            }
        }
    }

    /// <summary>Leader time (Unix ms) of the oldest remembered outcome, or null when none is remembered.</summary>
    public long? OldestIdempotencyRecordMs
    {
        get
        {
            gate.EnterReadLock();
            try
            {
                return idempotencyByTime.Count == 0 ? null : idempotencyByTime.Min.RecordedAtMs;
            }
            finally
            {
                gate.ExitReadLock();
            }
        }
    }

    /// <summary>True when an outcome is remembered under this Idempotency-Key. Safe from any thread.</summary>
    public bool RemembersIdempotencyKey(string idempotencyKey) => store.Read(StorageKeys.ForIdempotencyKey(idempotencyKey)) is not null;

    private CommandResult ApplyOnce(long index, Command command, string idempotencyKey, out List<HistoryEvent>? events)
    {
        events = null;
        var digest = SHA256.HashData(CommandCodec.Encode(command.WithoutCaps() with { LeaderTimeMs = 0, IdempotencyKey = null }));
        var storageKey = StorageKeys.ForIdempotencyKey(idempotencyKey);
        if (writes.Read(storageKey) is { } stored)
        {
            if (!stored.AsSpan(8, DigestBytes).SequenceEqual(digest))
            {
                return CommandResult.Failed(CommandStatus.IdempotencyKeyReused, revision,
                    $"Idempotency-Key '{idempotencyKey}' was first used for a different request; use a new key for a new request.");
            }

            return Revalidate(command, CommandResultCodec.Decode(stored.AsSpan(8 + DigestBytes))) with { Replayed = true };
        }

        var result = ApplyCommand(index, command, out events);
        // A cap refusal changed nothing and says "retry later": remembering it would answer every retry with the same
        // refusal, even once there is room.
        if (result.Status == CommandStatus.LimitReached)
            return result;
        if (result.Lock is { } lockRecord)
            result = result with { Lock = lockRecord.ForAnswer() };
        var encoded = CommandResultCodec.Encode(result);
        var record = new byte[8 + DigestBytes + encoded.Length];
        BinaryPrimitives.WriteInt64LittleEndian(record, command.LeaderTimeMs);
        digest.CopyTo(record, 8);
        encoded.CopyTo(record, 8 + DigestBytes);
        writes.Upsert(storageKey, record);
        idempotencyByTime.Add((command.LeaderTimeMs, idempotencyKey));
        return result;
    }

    /// <summary>The first outcome of a replayed command, or Superseded when it claimed something no longer true.</summary>
    private CommandResult Revalidate(Command command, CommandResult first)
    {
        if (first.Status != CommandStatus.Applied)
            return first;
        switch (command)
        {
            case LockAcquireCommand acquire:
            {
                var current = locks.GetValueOrDefault(acquire.Name);
                var now = current ?? new LockRecord(acquire.Name, null, []);
                if (first.Lock?.HolderOf(acquire.Lease) is { } granted)
                {
                    if (current?.HolderOf(granted.Lease) is { } holder && holder.FencingToken == granted.FencingToken)
                        return first;
                    return CommandResult.Failed(CommandStatus.Superseded, revision,
                        $"This Idempotency-Key first granted lock '{acquire.Name}' to lease {granted.Lease} with fencing token {granted.FencingToken}, "
                        + "but that grant is no longer current: " + DescribeLockNow(now, acquire.Lease) + ".",
                        lockRecord: now);
                }

                // First outcome: queued or refused. If the lease holds the lock now, that is the truth to tell;
                // if its lease is gone, the queued place is gone too.
                if (current?.HolderOf(acquire.Lease) is not null)
                    return first with { Revision = revision, Succeeded = true, Lock = current };
                if (!leases.ContainsKey(acquire.Lease))
                {
                    return CommandResult.Failed(CommandStatus.Superseded, revision,
                        $"This Idempotency-Key first queued lease {acquire.Lease} for lock '{acquire.Name}', but " + DescribeLockNow(now, acquire.Lease) + ".",
                        lockRecord: now);
                }

                return first;
            }

            case LeaseKeepAliveCommand keepAlive when !leases.ContainsKey(keepAlive.Id):
                return CommandResult.Failed(CommandStatus.Superseded, revision,
                    $"This Idempotency-Key first renewed lease {keepAlive.Id}, but the lease has since ended (expired or revoked); grant a new lease.",
                    lease: first.Lease);
            default:
                return first;
        }
    }

    private string DescribeLockNow(LockRecord now, long lease)
    {
        var leaseState = leases.ContainsKey(lease) ? "" : $"lease {lease} no longer exists, and ";
        return leaseState + (now.AllHolders.Count > 0 ? $"the lock is now held by {now.DescribeHolders()}" : "the lock is now free");
    }

    private CommandResult ApplyIdempotencyCompact(IdempotencyCompactCommand compact)
    {
        long forgotten = 0;
        while (idempotencyByTime.Count > 0 && idempotencyByTime.Min.RecordedAtMs < compact.HorizonMs)
        {
            var oldest = idempotencyByTime.Min;
            idempotencyByTime.Remove(oldest);
            writes.Delete(StorageKeys.ForIdempotencyKey(oldest.Key));
            forgotten++;
        }

        return new CommandResult(CommandStatus.Applied, revision, true, [new OperationResult(TxnOperationKind.Delete, Deleted: forgotten)]);
    }

    private void IndexIdempotencyRecord(string storageKey, byte[] value)
        => idempotencyByTime.Add((BinaryPrimitives.ReadInt64LittleEndian(value), storageKey[1..]));
}
