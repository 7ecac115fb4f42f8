using FASTER.core;

namespace GlobalZone.Storage.Compaction;

/// <summary>
/// The key/value store's log device: FASTER's own file device underneath, except that a segment FASTER wants removed
/// is only noted, and deleted when <see cref="RemoveHeldBelow"/> says the checkpoint manifest no longer needs it.
/// </summary>
/// <remarks>
/// Why: once compaction has moved the log's start, FASTER deletes the segment files below it as soon as the next
/// checkpoint's metadata is written (<c>WriteHybridLogMetaInfo</c> shifts the begin address with <c>truncateLog</c>),
/// which is before <see cref="KeyValueCheckpoints"/> has hashed that checkpoint and written the manifest naming it. A
/// crash in between would leave a manifest whose checkpoint needs files that are gone, and the member would refuse to
/// start. Holding the deletions until the new manifest is on disk closes that window. Reads, writes and sizes go
/// straight to the inner device; only removals are held.
/// </remarks>
internal sealed class HeldRemovalDevice : StorageDeviceBase
{
    private readonly IDevice inner;
    private readonly bool removeAtOnce;
    private readonly Lock held = new();
    private readonly SortedSet<int> heldSegments = [];

    /// <param name="inner">FASTER's file device.</param>
    /// <param name="removeAtOnce">Test-only: pass removals straight through (the bug this class exists to prevent).</param>
    public HeldRemovalDevice(IDevice inner, bool removeAtOnce = false)
        : base(inner.FileName, inner.SectorSize, inner.Capacity)
    {
        this.inner = inner;
        this.removeAtOnce = removeAtOnce;
        startSegment = inner.StartSegment;
        endSegment = inner.EndSegment;
    }

    /// <summary>Segments FASTER asked to remove that are still on disk.</summary>
    public IReadOnlyCollection<int> HeldSegments
    {
        get
        {
            lock (held)
                return [.. heldSegments];
        }
    }

    public override void Initialize(long segmentSize, LightEpoch? epoch = null, bool omitSegmentIdFromFilename = false)
    {
        base.Initialize(segmentSize, epoch, omitSegmentIdFromFilename);
        inner.Initialize(segmentSize, epoch, omitSegmentIdFromFilename);
    }

    /// <summary>Deletes every held segment below <paramref name="segment"/>, and any segment file below it left by a crash.</summary>
    public void RemoveHeldBelow(int segment)
    {
        lock (held)
        {
            for (var below = Math.Min(segment, FirstFileOnDisk()); below < segment; below++)
            {
                inner.RemoveSegment(below);
                heldSegments.Remove(below);
            }
        }
    }

    public override void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result)
    {
        if (removeAtOnce)
        {
            inner.RemoveSegmentAsync(segment, callback, result);
            return;
        }

        lock (held)
            heldSegments.Add(segment);
        callback(result);
    }

    public override void RemoveSegment(int segment)
    {
        if (removeAtOnce)
        {
            inner.RemoveSegment(segment);
            return;
        }

        lock (held)
            heldSegments.Add(segment);
    }

    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite, DeviceIOCompletionCallback callback, object context)
        => inner.WriteAsync(sourceAddress, segmentId, destinationAddress, numBytesToWrite, callback, context);

    public override void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength, DeviceIOCompletionCallback callback, object context)
        => inner.ReadAsync(segmentId, sourceAddress, destinationAddress, readLength, callback, context);

    public override long GetFileSize(int segment) => inner.GetFileSize(segment);

    public override bool Throttle() => inner.Throttle();

    public override bool TryComplete() => inner.TryComplete();

    public override void Reset() => inner.Reset();

    public override void Dispose() => inner.Dispose();

    /// <summary>The lowest segment number with a file on disk (int.MaxValue when there is none).</summary>
    private int FirstFileOnDisk()
    {
        var folder = Path.GetDirectoryName(FileName)!;
        var prefix = Path.GetFileName(FileName) + ".";
        var lowest = int.MaxValue;
        if (!Directory.Exists(folder))
            return lowest;
        foreach (var file in Directory.EnumerateFiles(folder, prefix + "*"))
        {
            if (int.TryParse(Path.GetFileName(file).AsSpan(prefix.Length), out var number) && number < lowest)
                lowest = number;
        }

        return lowest;
    }
}
