using System.Buffers.Binary;

namespace GlobalZone.StateMachine;

/// <summary>A key's current version as stored in FASTER.</summary>
public sealed record KeyRecord(string Key, long CreateRevision, long ModRevision, long Version, long Lease, ValueFormat Format, byte[] Value)
{
    private const int HeaderBytes = 1 + 8 * 4;

    /// <summary>Bytes of a stored record <see cref="LeaseOf"/> reads (the header: what indexing a key needs).</summary>
    public const int IndexedBytes = HeaderBytes;

    public byte[] Encode()
    {
        var buffer = new byte[HeaderBytes + Value.Length];
        var span = buffer.AsSpan();
        span[0] = (byte)Format;
        BinaryPrimitives.WriteInt64LittleEndian(span[1..], CreateRevision);
        BinaryPrimitives.WriteInt64LittleEndian(span[9..], ModRevision);
        BinaryPrimitives.WriteInt64LittleEndian(span[17..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(span[25..], Lease);
        Value.CopyTo(span[HeaderBytes..]);
        return buffer;
    }

    /// <summary>The lease a stored record is attached to, without decoding the value.</summary>
    public static long LeaseOf(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadInt64LittleEndian(bytes[25..]);

    public static KeyRecord Decode(string key, ReadOnlySpan<byte> bytes)
        => new(
            key,
            BinaryPrimitives.ReadInt64LittleEndian(bytes[1..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[9..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[17..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[25..]),
            (ValueFormat)bytes[0],
            bytes[HeaderBytes..].ToArray());
}
