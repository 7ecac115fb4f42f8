using System.Buffers.Binary;
using System.IO.Hashing;

namespace GlobalZone.Consensus.Log;

/// <summary>What one FasterLog record of the Raft log says.</summary>
internal enum RaftLogRecordKind : byte
{
    /// <summary>
    /// One part of a log entry. An entry at index i also drops every entry at i or above that came before it in the
    /// file: that is how a conflicting suffix is truncated durably (FasterLog cannot cut its tail), in the same write
    /// as the entry that replaces it.
    /// </summary>
    EntryPart = 1,

    /// <summary>A snapshot was installed at (index, term): entries up to it are dropped, and all of them when the
    /// entry at that index has another term (Raft's InstallSnapshot rule).</summary>
    SnapshotBase = 2,
}

/// <summary>
/// The bytes of a Raft log record: <c>[format:1][kind:1]</c> then, for an entry part,
/// <c>[index:8][term:8][flags:1][part:4][parts:4][payload slice]</c>; for a snapshot base <c>[index:8][term:8]</c>;
/// every record ends with an XxHash64 of what precedes it. FasterLog adds its own
/// length and per-entry checksum too, but verifies that one only for records it reads back from disk, not for those
/// its recovery left in memory (read in FasterLog 2.6.5's scan iterator), so the log checks its own.
/// </summary>
internal readonly record struct RaftLogRecord(RaftLogRecordKind Kind, long Index, long Term, bool IsConfiguration, int Part, int Parts, ReadOnlyMemory<byte> Payload)
{
    /// <summary>Format of the records; a log of another format is refused at start.</summary>
    public const byte FormatVersion = 1;

    public const int EntryHeaderBytes = 1 + 1 + 8 + 8 + 1 + 4 + 4;
    private const int SnapshotBaseBytes = 1 + 1 + 8 + 8;

    public static byte[] EncodeEntryPart(long index, long term, bool isConfiguration, int part, int parts, ReadOnlySpan<byte> slice)
    {
        var bytes = new byte[EntryHeaderBytes + slice.Length + ChecksumBytes];
        bytes[0] = FormatVersion;
        bytes[1] = (byte)RaftLogRecordKind.EntryPart;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(2), index);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(10), term);
        bytes[18] = isConfiguration ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(19), part);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(23), parts);
        slice.CopyTo(bytes.AsSpan(EntryHeaderBytes));
        return Seal(bytes);
    }

    public static byte[] EncodeSnapshotBase(long index, long term)
    {
        var bytes = new byte[SnapshotBaseBytes + ChecksumBytes];
        bytes[0] = FormatVersion;
        bytes[1] = (byte)RaftLogRecordKind.SnapshotBase;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(2), index);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(10), term);
        return Seal(bytes);
    }

    private const int ChecksumBytes = 8;

    private static byte[] Seal(byte[] bytes)
    {
        var body = bytes.AsSpan(0, bytes.Length - ChecksumBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(body.Length), XxHash64.HashToUInt64(body));
        return bytes;
    }

    /// <summary>Reads a record; throws <see cref="InvalidDataException"/> for bytes no writer of this format makes.</summary>
    public static RaftLogRecord Decode(byte[] bytes, int length)
    {
        if (length < 2 + ChecksumBytes)
            throw new InvalidDataException($"record of {length} bytes");
        length -= ChecksumBytes;
        if (XxHash64.HashToUInt64(bytes.AsSpan(0, length)) != BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(length)))
            throw new InvalidDataException("checksum mismatch");
        if (length < 2 || bytes[0] != FormatVersion)
            throw new InvalidDataException($"record of format {(length > 0 ? bytes[0] : -1)}, expected {FormatVersion}");
        var kind = (RaftLogRecordKind)bytes[1];
        switch (kind)
        {
            case RaftLogRecordKind.EntryPart when length >= EntryHeaderBytes:
                var part = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(19));
                var parts = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(23));
                if (parts < 1 || part < 0 || part >= parts)
                    throw new InvalidDataException($"entry part {part} of {parts}");
                return new RaftLogRecord(kind,
                    BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(2)),
                    BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(10)),
                    bytes[18] == 1, part, parts,
                    bytes.AsMemory(EntryHeaderBytes, length - EntryHeaderBytes));
            case RaftLogRecordKind.SnapshotBase when length == SnapshotBaseBytes:
                return new RaftLogRecord(kind,
                    BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(2)),
                    BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(10)), false, 0, 1, ReadOnlyMemory<byte>.Empty);
            default:
                throw new InvalidDataException($"record of kind {(byte)kind} and {length} bytes");
        }
    }
}
