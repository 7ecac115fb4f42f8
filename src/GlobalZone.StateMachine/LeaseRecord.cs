using System.Buffers.Binary;

namespace GlobalZone.StateMachine;

/// <summary>
/// A lease as the replicated state holds it. There is no deadline here: time is not state. Each member counts
/// down from the moment it applied the entry at <see cref="RenewIndex"/> (the grant or the latest keep-alive).
/// </summary>
public sealed record LeaseRecord(long Id, long TtlMs, long GrantedIndex, long RenewIndex)
{
    public const int EncodedBytes = 32;

    public byte[] Encode()
    {
        var bytes = new byte[EncodedBytes];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, Id);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), TtlMs);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), GrantedIndex);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(24), RenewIndex);
        return bytes;
    }

    public static LeaseRecord Decode(ReadOnlySpan<byte> bytes)
        => new(
            BinaryPrimitives.ReadInt64LittleEndian(bytes),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[24..]));
}
