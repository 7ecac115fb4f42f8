using System.Buffers.Binary;
using System.Text;

namespace GlobalZone.StateMachine;

/// <summary>The kind of change one event records.</summary>
public enum HistoryEventKind : byte
{
    Put = 1,
    Delete = 2,
}

/// <summary>One key's change at a revision; a revision holds one or more (a transaction).</summary>
public sealed record HistoryEvent(HistoryEventKind Kind, KeyRecord Record)
{
    /// <summary><c>[count:4]</c> then per event <c>[kind:1][keyLength:4][key][recordLength:4][record]</c>.</summary>
    public static byte[] EncodeBatch(IReadOnlyList<HistoryEvent> events)
    {
        using var stream = new MemoryStream();
        Span<byte> scratch = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(scratch, events.Count);
        stream.Write(scratch);
        foreach (var e in events)
        {
            stream.WriteByte((byte)e.Kind);
            var key = Encoding.UTF8.GetBytes(e.Record.Key);
            BinaryPrimitives.WriteInt32LittleEndian(scratch, key.Length);
            stream.Write(scratch);
            stream.Write(key);
            var record = e.Record.Encode();
            BinaryPrimitives.WriteInt32LittleEndian(scratch, record.Length);
            stream.Write(scratch);
            stream.Write(record);
        }

        return stream.ToArray();
    }

    public static List<HistoryEvent> DecodeBatch(ReadOnlySpan<byte> bytes)
    {
        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        var events = new List<HistoryEvent>(count);
        var offset = 4;
        for (var i = 0; i < count; i++)
        {
            var kind = (HistoryEventKind)bytes[offset++];
            var keyLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[offset..]);
            offset += 4;
            var key = Encoding.UTF8.GetString(bytes.Slice(offset, keyLength));
            offset += keyLength;
            var recordLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[offset..]);
            offset += 4;
            events.Add(new HistoryEvent(kind, KeyRecord.Decode(key, bytes.Slice(offset, recordLength))));
            offset += recordLength;
        }

        return events;
    }
}
