using System.Buffers.Binary;

namespace GlobalZone.StateMachine;

/// <summary>
/// Where the stored state stands: the last Raft index and term folded into it, the revision, and the oldest
/// revision the history still holds. Written into FASTER just before each checkpoint.
/// </summary>
internal sealed record StateMeta(long AppliedIndex, long AppliedTerm, long Revision, long HistoryStart)
{
    public const string StorageKey = "m";

    public static readonly StateMeta Empty = new(0, 0, 0, 1);

    public byte[] Encode()
    {
        var bytes = new byte[32];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, AppliedIndex);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), AppliedTerm);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), Revision);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(24), HistoryStart);
        return bytes;
    }

    public static StateMeta Decode(ReadOnlySpan<byte> bytes)
        => new(
            BinaryPrimitives.ReadInt64LittleEndian(bytes),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[24..]));
}
