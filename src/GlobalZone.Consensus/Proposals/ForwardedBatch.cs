using System.Buffers.Binary;

namespace GlobalZone.Consensus;

/// <summary>
/// The wire form of forwarded commands and their replies: <c>[count:4]</c> then, per item, <c>[length:4][bytes]</c>.
/// Requests carry encoded commands, replies the leader's reply bytes in the same order.
/// </summary>
internal static class ForwardedBatch
{
    public static byte[] Encode(IReadOnlyList<ReadOnlyMemory<byte>> items)
    {
        var size = 4 + items.Sum(i => 4 + i.Length);
        var bytes = new byte[size];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, items.Count);
        var offset = 4;
        foreach (var item in items)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), item.Length);
            item.Span.CopyTo(bytes.AsSpan(offset + 4));
            offset += 4 + item.Length;
        }

        return bytes;
    }

    /// <summary>The items, or null when the bytes are not a well-formed batch of at most <paramref name="maxItems"/>.</summary>
    public static List<ReadOnlyMemory<byte>>? TryDecode(ReadOnlyMemory<byte> bytes, int maxItems)
    {
        if (bytes.Length < 4)
            return null;
        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes.Span);
        if (count < 0 || count > maxItems)
            return null;
        var items = new List<ReadOnlyMemory<byte>>(count);
        var offset = 4;
        for (var i = 0; i < count; i++)
        {
            if (bytes.Length - offset < 4)
                return null;
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.Span[offset..]);
            if (length < 0 || bytes.Length - offset - 4 < length)
                return null;
            items.Add(bytes.Slice(offset + 4, length));
            offset += 4 + length;
        }

        return offset == bytes.Length ? items : null;
    }
}
