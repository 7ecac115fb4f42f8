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

    public static void Decode(ReadOnlySpan<byte> value, ref StoredValue dst)
    {
        dst.Form = value[0];
        if (dst.Form == RecordLayout.Head)
            dst.Head = RecordLayout.ReadHead(value);
        else if (!dst.HeadOnly)
            dst.Bytes = value[1..].ToArray();
    }
}
