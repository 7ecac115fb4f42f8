using System.Buffers.Binary;
using System.Security.Cryptography;
using GlobalZone.StateMachine.Commands;

namespace GlobalZone.StateMachine;

// Idempotent writes: the outcome of a command carrying an Idempotency-Key is remembered in the replicated state,
// so a retry (on any member, under any leader) gets the first outcome back instead of applying twice. A digest of
// the command catches a key reused for a different request. Records are forgotten only by an
// IdempotencyCompactCommand the leader proposes, so the window is the same on every member.
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

    private CommandResult ApplyOnce(long index, Command command, string idempotencyKey, out List<HistoryEvent>? events)
    {
        events = null;
        var digest = SHA256.HashData(CommandCodec.Encode(command with { LeaderTimeMs = 0, IdempotencyKey = null }));
        var storageKey = StorageKeys.ForIdempotencyKey(idempotencyKey);
        if (writes.Read(storageKey) is { } stored)
        {
            if (!stored.AsSpan(8, DigestBytes).SequenceEqual(digest))
            {
                return CommandResult.Failed(CommandStatus.IdempotencyKeyReused, revision,
                    $"Idempotency-Key '{idempotencyKey}' was first used for a different request; use a new key for a new request.");
            }

            return CommandResultCodec.Decode(stored.AsSpan(8 + DigestBytes)) with { Replayed = true };
        }

        var result = ApplyCommand(index, command, out events);
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
