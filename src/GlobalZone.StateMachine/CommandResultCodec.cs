using System.Text;
using GlobalZone.StateMachine.Commands;

namespace GlobalZone.StateMachine;

/// <summary>
/// Binary form of <see cref="CommandResult"/>, used to carry a result from the leader back to the member that
/// forwarded the write, and to remember results for idempotent retries.
/// </summary>
public static class CommandResultCodec
{
    public static byte[] Encode(CommandResult result)
    {
        using var stream = new MemoryStream(64);
        using var writer = new BinaryWriter(stream, Encoding.UTF8);
        writer.Write((byte)result.Status);
        writer.Write(result.Revision);
        writer.Write(result.Succeeded);
        writer.Write(result.Error ?? string.Empty);
        writer.Write(result.Operations.Count);
        foreach (var op in result.Operations)
        {
            writer.Write((byte)op.Kind);
            writer.Write(op.Deleted);
            WriteRecord(writer, op.Previous);
            var records = op.Records ?? [];
            writer.Write(records.Count);
            foreach (var record in records)
                WriteRecord(writer, record);
        }

        writer.Write(result.Replayed);
        writer.Write(result.Lease is not null);
        if (result.Lease is { } lease)
            writer.Write(lease.Encode());
        writer.Write(result.Lock is not null);
        result.Lock?.Write(writer);
        writer.Flush();
        return stream.ToArray();
    }

    public static CommandResult Decode(ReadOnlySpan<byte> bytes)
    {
        using var stream = new MemoryStream(bytes.ToArray(), writable: false);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        var status = (CommandStatus)reader.ReadByte();
        var revision = reader.ReadInt64();
        var succeeded = reader.ReadBoolean();
        var error = reader.ReadString();
        var count = reader.ReadInt32();
        var operations = new OperationResult[count];
        for (var i = 0; i < count; i++)
        {
            var kind = (TxnOperationKind)reader.ReadByte();
            var deleted = reader.ReadInt64();
            var previous = ReadRecord(reader);
            var recordCount = reader.ReadInt32();
            var records = new KeyRecord[recordCount];
            for (var j = 0; j < recordCount; j++)
                records[j] = ReadRecord(reader)!;
            operations[i] = new OperationResult(kind, deleted, previous, records);
        }

        var replayed = reader.ReadBoolean();
        var lease = reader.ReadBoolean() ? LeaseRecord.Decode(reader.ReadBytes(LeaseRecord.EncodedBytes)) : null;
        var lockRecord = reader.ReadBoolean() ? LockRecord.Read(reader) : null;
        return new CommandResult(status, revision, succeeded, operations, error.Length == 0 ? null : error, lease, lockRecord, replayed);
    }

    private static void WriteRecord(BinaryWriter writer, KeyRecord? record)
    {
        writer.Write(record is not null);
        if (record is null)
            return;
        writer.Write(record.Key);
        var bytes = record.Encode();
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    private static KeyRecord? ReadRecord(BinaryReader reader)
    {
        if (!reader.ReadBoolean())
            return null;
        var key = reader.ReadString();
        var length = reader.ReadInt32();
        return KeyRecord.Decode(key, reader.ReadBytes(length));
    }
}
