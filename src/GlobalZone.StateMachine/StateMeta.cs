using System.Buffers.Binary;

namespace GlobalZone.StateMachine;

/// <summary>
/// Where the stored state stands: the last Raft index and term folded into it, the index and term the Raft
/// layer knows the snapshot by (never above the applied index: after installing a snapshot they can differ),
/// the revision, and the oldest revision the history still holds. Written into FASTER before each checkpoint.
/// </summary>
internal sealed record StateMeta(long AppliedIndex, long AppliedTerm, long SnapshotIndex, long SnapshotTerm, long Revision, long HistoryStart)
{
    public const string StorageKey = "m";

    public static readonly StateMeta Empty = new(0, 0, 0, 0, 0, 1);

    public byte[] Encode()
    {
        var bytes = new byte[48];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteInt64LittleEndian(span, AppliedIndex);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], AppliedTerm);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], SnapshotIndex);
        BinaryPrimitives.WriteInt64LittleEndian(span[24..], SnapshotTerm);
        BinaryPrimitives.WriteInt64LittleEndian(span[32..], Revision);
        BinaryPrimitives.WriteInt64LittleEndian(span[40..], HistoryStart);
        return bytes;
    }

    public static StateMeta Decode(ReadOnlySpan<byte> bytes)
        => new(
            BinaryPrimitives.ReadInt64LittleEndian(bytes),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[40..]));
}
