using FASTER.core;

namespace GlobalZone.Storage;

/// <summary>What a read of one FASTER record found (see <see cref="RecordLayout"/>).</summary>
internal struct StoredValue
{
    /// <summary>Set by the caller: decode only the form and a head, copy no value bytes (the writer's check for parts).</summary>
    public bool HeadOnly;

    public byte Form;

    /// <summary>The value (form Inline) or the part's bytes (form Part); null for a head or a head-only read.</summary>
    public byte[]? Bytes;

    /// <summary>For form Head.</summary>
    public ChunkedHead Head;

    /// <summary>
    /// Logical address of the record read, from the reader callback's <see cref="ReadInfo.Address"/>: for a read
    /// completed from disk, the <see cref="RecordMetadata"/> FASTER 2.6.5 returns names the address the read started
    /// from (<c>pendingContext.logicalAddress</c>), which is another key's record when the hash chain is shared.
    /// </summary>
    public long Address;
}

/// <summary>
/// FASTER callbacks for the store's SpanByte records. Reads copy out of the log into a new array (the log's memory is
/// only valid inside the callback); writes are FASTER's own SpanByte writes (<see cref="SpanByteFunctions{Key, Output, Context}"/>).
/// </summary>
internal sealed class StoredRecordFunctions : SpanByteFunctions<SpanByte, StoredValue, Empty>
{
    private long compactionCopiedBytes;

    /// <summary>Bytes of records this session's compaction copied to the tail (the live part of what it compacted).</summary>
    public long CompactionCopiedBytes => Interlocked.Read(ref compactionCopiedBytes);

    public override bool SingleWriter(ref SpanByte key, ref SpanByte input, ref SpanByte src, ref SpanByte dst, ref StoredValue output, ref UpsertInfo upsertInfo, WriteReason reason)
    {
        if (reason == WriteReason.Compaction)
            Interlocked.Add(ref compactionCopiedBytes, key.TotalSize + src.TotalSize);
        return base.SingleWriter(ref key, ref input, ref src, ref dst, ref output, ref upsertInfo, reason);
    }

    public override bool SingleReader(ref SpanByte key, ref SpanByte input, ref SpanByte value, ref StoredValue dst, ref ReadInfo readInfo)
    {
        Decode(value.AsReadOnlySpan(), ref dst);
        dst.Address = readInfo.Address;
        return true;
    }

    public override bool ConcurrentReader(ref SpanByte key, ref SpanByte input, ref SpanByte value, ref StoredValue dst, ref ReadInfo readInfo)
    {
        Decode(value.AsReadOnlySpan(), ref dst);
        dst.Address = readInfo.Address;
        return true;
    }

    /// <param name="value">The stored record's value.</param>
    /// <param name="dst">What was found.</param>
    /// <param name="maxBytes">Copy at most this many bytes of an inline value or part.</param>
    public static void Decode(ReadOnlySpan<byte> value, ref StoredValue dst, int maxBytes = int.MaxValue)
    {
        dst.Form = value[0];
        if (dst.Form == RecordLayout.Head)
            dst.Head = RecordLayout.ReadHead(value);
        else if (!dst.HeadOnly)
            dst.Bytes = value[1..(1 + Math.Min(maxBytes, value.Length - 1))].ToArray();
    }
}
