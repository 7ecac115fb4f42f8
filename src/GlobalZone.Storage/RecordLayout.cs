using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using GlobalZone.Contracts;

namespace GlobalZone.Storage;

/// <summary>
/// How <see cref="FasterKeyValueStore"/> lays a string → bytes record out in FASTER's SpanByte log, and how large a
/// log page must be for the records the limits allow.
/// </summary>
/// <remarks>
/// <para>FASTER refuses a record larger than a log page ("Entry does not fit on page", <c>AllocatorBase.TryAllocate</c>),
/// and a refusal inside Raft apply would stop every member on the same entry. The page is sized so that any user key's
/// record (the largest key and value the limits allow) fits whole; a record larger than that (the remembered outcome
/// of an idempotent transaction can hold up to 128 previous values) is cut into parts that each fit a page, like
/// <see cref="RevisionHistory"/> cuts a revision.</para>
/// <para>Keys: <c>[tag:1][UTF-8 key]</c>, tag <see cref="RecordTag"/>; a part is <c>[PartTag][generation:8][index:4][UTF-8 key]</c>
/// (the fixed-size fields before the key keep part keys distinct for distinct keys); the store's own bookkeeping is
/// under <see cref="StoreTag"/>. Values start with a form byte: <see cref="Inline"/> then the value, <see cref="Head"/>
/// then <c>[generation:8][length:4][parts:4]</c>, or <see cref="Part"/> then the part's bytes.</para>
/// </remarks>
internal static class RecordLayout
{
    public const byte RecordTag = 0;
    public const byte PartTag = 1;
    public const byte StoreTag = 2;

    public const byte Inline = 0;
    public const byte Head = 1;
    public const byte Part = 2;

    /// <summary>Bytes of a chunked record's head value.</summary>
    public const int HeadBytes = 1 + 8 + 4 + 4;

    /// <summary>Bytes a part key adds to the UTF-8 key (tag, generation, index).</summary>
    public const int PartKeyExtraBytes = 1 + 8 + 4;

    /// <summary>
    /// Room kept free on a page: the first page starts 64 bytes in (<c>GetFirstValidLogicalAddress</c>), so a record
    /// this much smaller than a page fits on any page.
    /// </summary>
    private const int PageReserveBytes = 64;

    /// <summary>
    /// Room beyond the largest key and value for what the state machine wraps around a value (a user key's record
    /// header is 33 bytes) and this layout's own bytes; generous so the largest value never needs parts.
    /// </summary>
    private const int WrapperAllowanceBytes = 4 << 10;

    /// <summary>
    /// Largest derived page: the in-memory region holds at least 8 pages, so a value limit raised far beyond the default
    /// would otherwise raise the memory floor with it; values larger than this page are stored in parts instead.
    /// </summary>
    public const long MaxDerivedPageBytes = 16L << 20;

    /// <summary>
    /// The page size for values up to <paramref name="maxValueBytes"/> under keys up to <see cref="Limits.MaxKeyBytes"/>:
    /// the next power of two (FASTER rounds page sizes down to one) at or above the largest such record, at most
    /// <see cref="MaxDerivedPageBytes"/>.
    /// </summary>
    public static long PageBytesFor(int maxValueBytes)
    {
        var largest = RecordBytes(1 + Limits.MaxKeyBytes + 1, 1 + maxValueBytes + WrapperAllowanceBytes) + PageReserveBytes;
        return Math.Min(MaxDerivedPageBytes, (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(largest, 64L << 10)));
    }

    /// <summary>
    /// Bytes FASTER allocates for a record: RecordInfo (8), the key as a SpanByte (4-byte length and bytes, 8-aligned),
    /// then the value as a SpanByte, the whole 8-aligned (<c>VariableLengthBlittableAllocator.GetRecordSize</c>).
    /// </summary>
    public static long RecordBytes(int keyBytes, long valueBytes) => 8 + Align8(4 + keyBytes) + Align8(4 + valueBytes);

    /// <summary>True when a record with this key and value (both as laid out here) fits on a page.</summary>
    public static bool Fits(long pageBytes, int keyBytes, long valueBytes) => RecordBytes(keyBytes, valueBytes) <= pageBytes - PageReserveBytes;

    /// <summary>The most bytes of a chunked value one part holds for a key of <paramref name="utf8KeyBytes"/> bytes.</summary>
    public static int PartPayloadBytes(long pageBytes, int utf8KeyBytes)
    {
        var room = pageBytes - PageReserveBytes - 8 - Align8(4 + PartKeyExtraBytes + utf8KeyBytes) - 4 - 8 - 1;
        return (int)Math.Min(room, int.MaxValue);
    }

    /// <summary>Longest UTF-8 key the store takes with pages of <paramref name="pageBytes"/>: a part must still hold most of a page.</summary>
    public static int MaxKeyBytes(long pageBytes) => (int)Math.Min(pageBytes / 4, int.MaxValue);

    public static int RecordKey(string key, Span<byte> destination)
    {
        destination[0] = RecordTag;
        return 1 + Encoding.UTF8.GetBytes(key, destination[1..]);
    }

    public static int PartKey(string key, long generation, int index, Span<byte> destination)
    {
        destination[0] = PartTag;
        BinaryPrimitives.WriteInt64LittleEndian(destination[1..], generation);
        BinaryPrimitives.WriteInt32LittleEndian(destination[9..], index);
        return PartKeyExtraBytes + Encoding.UTF8.GetBytes(key, destination[PartKeyExtraBytes..]);
    }

    public static void WriteHead(Span<byte> destination, ChunkedHead head)
    {
        destination[0] = Head;
        BinaryPrimitives.WriteInt64LittleEndian(destination[1..], head.Generation);
        BinaryPrimitives.WriteInt32LittleEndian(destination[9..], head.Length);
        BinaryPrimitives.WriteInt32LittleEndian(destination[13..], head.Parts);
    }

    public static ChunkedHead ReadHead(ReadOnlySpan<byte> value)
        => new(BinaryPrimitives.ReadInt64LittleEndian(value[1..]), BinaryPrimitives.ReadInt32LittleEndian(value[9..]), BinaryPrimitives.ReadInt32LittleEndian(value[13..]));

    private static long Align8(long bytes) => (bytes + 7) & ~7L;
}

/// <summary>The head of a value stored in parts: which generation of parts it names, the value's length and part count.</summary>
internal readonly record struct ChunkedHead(long Generation, int Length, int Parts);
