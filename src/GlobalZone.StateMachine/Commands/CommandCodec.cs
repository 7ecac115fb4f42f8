using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using GlobalZone.StateMachine.Auth;

namespace GlobalZone.StateMachine.Commands;

/// <summary>
/// The binary form of commands in the Raft log: <c>[format:1][kind:1][leaderTimeMs:8][idempotencyKey][body]</c>.
/// Compact and allocation-light, because every write passes through it twice (encode on the leader, decode on
/// every member). Strings are length-prefixed UTF-8; byte arrays are length-prefixed (-1 = null).
/// </summary>
public static class CommandCodec
{
    private const byte FormatVersion = 1;

    public static byte[] Encode(Command command)
    {
        var writer = new ArrayBufferWriter<byte>(256);
        WriteByte(writer, FormatVersion);
        WriteByte(writer, (byte)command.Kind);
        WriteInt64(writer, command.LeaderTimeMs);
        WriteString(writer, command.IdempotencyKey);
        switch (command)
        {
            case TxnCommand txn:
                WriteTxn(writer, txn);
                break;
            case LeaseGrantCommand grant:
                WriteInt64(writer, grant.RequestedId);
                WriteInt64(writer, grant.TtlMs);
                // Caps trail the fields older entries had: an entry without them decodes as "no cap".
                WriteInt64(writer, grant.MaxLeases);
                break;
            case LeaseKeepAliveCommand keepAlive:
                WriteInt64(writer, keepAlive.Id);
                break;
            case LeaseRevokeCommand revoke:
                WriteInt64(writer, revoke.Id);
                break;
            case LeaseExpireCommand expire:
                WriteInt32(writer, expire.Leases.Count);
                foreach (var lease in expire.Leases)
                {
                    WriteInt64(writer, lease.Id);
                    WriteInt64(writer, lease.RenewIndex);
                }

                break;
            case LockAcquireCommand acquire:
                WriteString(writer, acquire.Name);
                WriteInt64(writer, acquire.Lease);
                WriteString(writer, acquire.Owner);
                WriteByte(writer, acquire.Wait ? (byte)1 : (byte)0);
                WriteInt32(writer, acquire.MaxWaitersPerLock);
                WriteInt64(writer, acquire.MaxWaitersTotal);
                // Mode and limit trail the caps: an entry without them is an exclusive lock's.
                WriteByte(writer, (byte)acquire.Mode);
                WriteInt32(writer, acquire.Limit);
                break;
            case LockReleaseCommand release:
                WriteString(writer, release.Name);
                WriteInt64(writer, release.Lease);
                WriteInt64(writer, release.FencingToken);
                WriteByte(writer, release.OnlyIfWaiting ? (byte)1 : (byte)0);
                break;
            case IdempotencyCompactCommand compact:
                WriteInt64(writer, compact.HorizonMs);
                break;
            case MemberDescribeCommand describe:
                WriteString(writer, describe.Member.Id);
                WriteString(writer, describe.Member.Url);
                WriteString(writer, describe.Member.Site);
                WriteString(writer, describe.Member.Role);
                break;
            case AuthCommand auth:
                WriteByte(writer, (byte)auth.Operation);
                WriteString(writer, auth.Name);
                WriteString(writer, auth.Target);
                WriteBytes(writer, auth.Data);
                WriteByte(writer, (byte)auth.Access);
                break;
            default:
                throw new ArgumentException($"No encoding for {command.GetType().Name}.", nameof(command));
        }

        return writer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Overwrites the leader time of an encoded command in place: the leader that appends an entry stamps it with
    /// its own clock, whichever member built the command.
    /// </summary>
    public static void StampLeaderTime(Span<byte> encoded, long leaderTimeMs)
        => BinaryPrimitives.WriteInt64LittleEndian(encoded.Slice(2, 8), leaderTimeMs);

    /// <summary>Decodes a command; null when the bytes are not a command this version understands.</summary>
    public static Command? TryDecode(ReadOnlySequence<byte> bytes)
    {
        try
        {
            var reader = new SequenceReader<byte>(bytes);
            if (ReadByte(ref reader) != FormatVersion)
                return null;
            var kind = (CommandKind)ReadByte(ref reader);
            var time = ReadInt64(ref reader);
            var idempotencyKey = ReadString(ref reader);
            Command? command = kind switch
            {
                CommandKind.Txn => ReadTxn(ref reader),
                CommandKind.LeaseGrant => new LeaseGrantCommand(ReadInt64(ref reader), ReadInt64(ref reader))
                {
                    MaxLeases = reader.Remaining >= 8 ? ReadInt64(ref reader) : 0,
                },
                CommandKind.LeaseKeepAlive => new LeaseKeepAliveCommand(ReadInt64(ref reader)),
                CommandKind.LeaseRevoke => new LeaseRevokeCommand(ReadInt64(ref reader)),
                CommandKind.LeaseExpire => ReadLeaseExpire(ref reader),
                CommandKind.LockAcquire => ReadLockAcquire(ref reader),
                CommandKind.LockRelease => new LockReleaseCommand(
                    ReadString(ref reader) ?? throw new FormatException("lock without name"), ReadInt64(ref reader), ReadInt64(ref reader), ReadByte(ref reader) != 0),
                CommandKind.IdempotencyCompact => new IdempotencyCompactCommand(ReadInt64(ref reader)),
                CommandKind.MemberDescribe => new MemberDescribeCommand(new MemberDescription(
                    ReadString(ref reader) ?? "", ReadString(ref reader) ?? "", ReadString(ref reader) ?? "", ReadString(ref reader) ?? "")),
                CommandKind.Auth => new AuthCommand((AuthOperation)ReadByte(ref reader), ReadString(ref reader) ?? "", ReadString(ref reader), ReadBytes(ref reader),
                    (KeyAccess)ReadByte(ref reader)),
                _ => null,
            };
            return command is null ? null : command with { LeaderTimeMs = time, IdempotencyKey = idempotencyKey };
        }
        catch (FormatException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static void WriteTxn(ArrayBufferWriter<byte> writer, TxnCommand txn)
    {
        WriteInt32(writer, txn.Compares.Count);
        foreach (var compare in txn.Compares)
        {
            WriteString(writer, compare.Key);
            WriteByte(writer, (byte)compare.Target);
            WriteByte(writer, (byte)compare.Operator);
            WriteInt64(writer, compare.Number);
            WriteBytes(writer, compare.Value);
        }

        WriteOperations(writer, txn.Success);
        WriteOperations(writer, txn.Failure);
        WriteByte(writer, txn.Fence is null ? (byte)0 : (byte)1);
        if (txn.Fence is { } fence)
        {
            WriteString(writer, fence.Lock);
            WriteInt64(writer, fence.FencingToken);
        }
    }

    private static LockAcquireCommand ReadLockAcquire(ref SequenceReader<byte> reader)
    {
        var acquire = new LockAcquireCommand(
            ReadString(ref reader) ?? throw new FormatException("lock without name"), ReadInt64(ref reader), ReadString(ref reader) ?? "", ReadByte(ref reader) != 0);
        // Entries written before caps existed end here.
        if (reader.Remaining < 12)
            return acquire;
        acquire = acquire with { MaxWaitersPerLock = ReadInt32(ref reader), MaxWaitersTotal = ReadInt64(ref reader) };
        // Entries written before reader-writer locks and semaphores end here.
        return reader.Remaining >= 5
            ? acquire with { Mode = (LockMode)ReadByte(ref reader), Limit = ReadInt32(ref reader) }
            : acquire;
    }

    private static LeaseExpireCommand ReadLeaseExpire(ref SequenceReader<byte> reader)
    {
        var count = ReadCount(ref reader);
        var leases = new LeaseExpiry[count];
        for (var i = 0; i < count; i++)
            leases[i] = new LeaseExpiry(ReadInt64(ref reader), ReadInt64(ref reader));
        return new LeaseExpireCommand(leases);
    }

    private static TxnCommand ReadTxn(ref SequenceReader<byte> reader)
    {
        var count = ReadCount(ref reader);
        var compares = new Compare[count];
        for (var i = 0; i < count; i++)
        {
            var key = ReadString(ref reader) ?? throw new FormatException("compare without key");
            var target = (CompareTarget)ReadByte(ref reader);
            var op = (CompareOperator)ReadByte(ref reader);
            var number = ReadInt64(ref reader);
            var value = ReadBytes(ref reader);
            compares[i] = new Compare(key, target, op, number, value);
        }

        var success = ReadOperations(ref reader);
        var failure = ReadOperations(ref reader);
        Fence? fence = null;
        if (ReadByte(ref reader) == 1)
            fence = new Fence(ReadString(ref reader) ?? throw new FormatException("fence without lock"), ReadInt64(ref reader));
        return new TxnCommand(compares, success, failure) { Fence = fence };
    }

    private static void WriteOperations(ArrayBufferWriter<byte> writer, IReadOnlyList<TxnOperation> operations)
    {
        WriteInt32(writer, operations.Count);
        foreach (var op in operations)
        {
            WriteByte(writer, (byte)op.Kind);
            WriteString(writer, op.Key);
            WriteBytes(writer, op.Value);
            WriteByte(writer, (byte)op.Format);
            WriteInt64(writer, op.Lease);
        }
    }

    private static TxnOperation[] ReadOperations(ref SequenceReader<byte> reader)
    {
        var count = ReadCount(ref reader);
        var operations = new TxnOperation[count];
        for (var i = 0; i < count; i++)
        {
            var kind = (TxnOperationKind)ReadByte(ref reader);
            var key = ReadString(ref reader) ?? throw new FormatException("operation without key");
            var value = ReadBytes(ref reader);
            var format = (ValueFormat)ReadByte(ref reader);
            var lease = ReadInt64(ref reader);
            operations[i] = new TxnOperation(kind, key, value, format, lease);
        }

        return operations;
    }

    private static void WriteByte(ArrayBufferWriter<byte> writer, byte value)
    {
        writer.GetSpan(1)[0] = value;
        writer.Advance(1);
    }

    private static void WriteInt32(ArrayBufferWriter<byte> writer, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(writer.GetSpan(4), value);
        writer.Advance(4);
    }

    private static void WriteInt64(ArrayBufferWriter<byte> writer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(writer.GetSpan(8), value);
        writer.Advance(8);
    }

    private static void WriteString(ArrayBufferWriter<byte> writer, string? value)
    {
        if (value is null)
        {
            WriteInt32(writer, -1);
            return;
        }

        var length = Encoding.UTF8.GetByteCount(value);
        WriteInt32(writer, length);
        Encoding.UTF8.GetBytes(value, writer.GetSpan(length));
        writer.Advance(length);
    }

    private static void WriteBytes(ArrayBufferWriter<byte> writer, byte[]? value)
    {
        if (value is null)
        {
            WriteInt32(writer, -1);
            return;
        }

        WriteInt32(writer, value.Length);
        writer.Write(value);
    }

    private static byte ReadByte(ref SequenceReader<byte> reader)
        => reader.TryRead(out var value) ? value : throw new FormatException("truncated command");

    private static int ReadInt32(ref SequenceReader<byte> reader)
        => reader.TryReadLittleEndian(out int value) ? value : throw new FormatException("truncated command");

    private static long ReadInt64(ref SequenceReader<byte> reader)
        => reader.TryReadLittleEndian(out long value) ? value : throw new FormatException("truncated command");

    private static int ReadCount(ref SequenceReader<byte> reader)
    {
        var count = ReadInt32(ref reader);
        return count < 0 || count > reader.Remaining ? throw new FormatException("bad count") : count;
    }

    private static string? ReadString(ref SequenceReader<byte> reader)
    {
        var bytes = ReadBytes(ref reader);
        return bytes is null ? null : Encoding.UTF8.GetString(bytes);
    }

    private static byte[]? ReadBytes(ref SequenceReader<byte> reader)
    {
        var length = ReadInt32(ref reader);
        if (length == -1)
            return null;
        if (length < 0 || length > reader.Remaining)
            throw new FormatException("bad length");
        var bytes = new byte[length];
        if (!reader.TryCopyTo(bytes))
            throw new FormatException("truncated command");
        reader.Advance(length);
        return bytes;
    }
}
