using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using FASTER.core;
using GlobalZone.Storage.Integrity;

namespace GlobalZone.Storage;

/// <summary>
/// The applied history, one revision per record, kept for watches and reads of recent changes, and compacted from
/// the front by revision. A revision's payload has no size limit: it is cut into parts that each fit one FasterLog
/// page (FasterLog refuses an entry larger than its page, and a refusal inside Raft apply would stop the member).
/// </summary>
/// <remarks>
/// <para>Each FasterLog entry is <c>[format:1][revision:8][part:4][parts:4][check:8][bytes]</c>, <c>check</c> being the first
/// 8 bytes of the SHA-256 of the entry without it; the parts of one revision are
/// appended back to back by the single writer, so a reader joins consecutive parts and drops a revision whose parts
/// are not all there (a crash between parts: the Raft log replays the entry and appends it whole again).</para>
/// <para>Revisions are consecutive (one per committed write), so the address of revision r's first part is
/// <c>addresses[r - FirstRevision]</c>. After a crash the log may hold entries newer than the key/value checkpoint;
/// <see cref="Recover"/> drops them from the index, and the Raft log replays them again.</para>
/// <para>Integrity: FasterLog keeps its per-entry checksum (<see cref="LogChecksumType.PerEntry"/>, checked on entries it
/// reads from disk), every entry carries its own check (also covering the last page, which recovery loads into memory
/// unchecked), the latest commit is recovered exactly (FasterLog's <c>TryRecoverLatest</c> would open an empty log over
/// a damaged commit record), and recovery refuses a history that lacks revisions the key/value checkpoint says it
/// holds. Damage surfaces as <see cref="StorageIntegrityException"/> naming the file.</para>
/// </remarks>
public sealed class RevisionHistory : IDisposable
{
    /// <summary>Format of the records (the folder name carries it too, so an older layout is never misread).</summary>
    public const byte FormatVersion = 3;

    /// <summary>Folder of this format under the state folder (v2 had no checksums, <c>history</c> no parts).</summary>
    public const string FolderName = "history-v3";

    private const int CheckOffset = 1 + 8 + 4 + 4;

    private const int HeaderBytes = CheckOffset + 8;

    private const string LogFileName = "history.log";

    /// <summary>
    /// Room FasterLog needs around an entry within a page (its length header, an optional checksum, alignment);
    /// generous so a part never meets the "does not fit on page" refusal.
    /// </summary>
    private const int PageReserveBytes = 64;

    private readonly FasterLogSettings settings;
    private readonly FasterLog log;
    private readonly IDevice device;
    private readonly DeviceLogCommitCheckpointManager commits;
    private readonly string root;
    private readonly long segmentBytes;
    private readonly List<long> addresses = new();
    private readonly Lock gate = new();
    private readonly int maxPartBytes;

    /// <exception cref="StorageIntegrityException">The history's commit record is damaged, or its folder is missing where state is expected.</exception>
    public RevisionHistory(StorageOptions options)
    {
        if (options.HistoryPageBytes < 4096)
            throw new ArgumentOutOfRangeException(nameof(options), "HistoryPageBytes must be at least 4 KiB.");
        root = Path.Combine(options.Directory, FolderName);
        if (options.ExpectExistingState && !Directory.Exists(root))
            throw new StorageIntegrityException(root, "The revision history's folder is missing", OperatorRemedy.ReplaceMember);
        Directory.CreateDirectory(root);
        commits = new DeviceLogCommitCheckpointManager(
            new LocalStorageNamedDeviceFactory(), new DefaultCheckpointNamingScheme(Path.Combine(root, "commits")), removeOutdated: true);
        device = Devices.CreateLogDevice(Path.Combine(root, LogFileName), recoverDevice: true);
        settings = new FasterLogSettings
        {
            LogDevice = device,
            LogCommitManager = commits,
            MemorySize = options.HistoryMemoryBytes,
            PageSize = options.HistoryPageBytes,
            LogChecksum = LogChecksumType.PerEntry,
            TryRecoverLatest = false,
        };
        segmentBytes = settings.SegmentSize;
        log = new FasterLog(settings);
        var latest = commits.ListCommits().DefaultIfEmpty(-1).Max();
        if (latest >= 0)
        {
            try
            {
                log.Recover(latest);
            }
            catch (Exception e)
            {
                Dispose();
                throw new StorageIntegrityException(
                    Path.Combine(root, "commits"), $"The revision history's commit record {latest} cannot be recovered ({e.GetType().Name}: {e.Message})", OperatorRemedy.ReplaceMember, e);
            }
        }

        maxPartBytes = (int)Math.Min(int.MaxValue, options.HistoryPageBytes) - HeaderBytes - PageReserveBytes;
    }

    /// <summary>Largest slice of a payload one record holds (a page less the header and FasterLog's own framing).</summary>
    public int MaxPartBytes => maxPartBytes;

    /// <summary>Oldest revision still readable (0 when nothing is held).</summary>
    public long FirstRevision { get; private set; }

    /// <summary>Newest revision appended (FirstRevision - 1 when empty).</summary>
    public long LastRevision
    {
        get
        {
            lock (gate)
                return FirstRevision + addresses.Count - 1;
        }
    }

    /// <summary>
    /// Rebuilds the index from the committed log, keeping revisions up to <paramref name="maxRevision"/>
    /// (the revision of the key/value checkpoint) and at or after <paramref name="minRevision"/>.
    /// </summary>
    /// <exception cref="StorageIntegrityException">An entry fails its checksum, or revisions the checkpoint says the history holds are missing.</exception>
    public void Recover(long minRevision, long maxRevision)
    {
        lock (gate)
        {
            addresses.Clear();
            FirstRevision = minRevision;
            foreach (var (revision, address, _) in WholeRevisions(log.BeginAddress, keepPayload: false))
            {
                if (revision < minRevision || revision > maxRevision)
                    continue;
                var slot = revision - minRevision;
                // A revision seen twice (applied again after a crash) keeps its newest copy; both are equal.
                if (slot < addresses.Count)
                    addresses[(int)slot] = address;
                else if (slot == addresses.Count)
                    addresses.Add(address);
                else
                {
                    // A hole means the history before it is unusable for replay: restart after the hole.
                    addresses.Clear();
                    FirstRevision = revision;
                    addresses.Add(address);
                }
            }

            if (addresses.Count == 0)
                FirstRevision = maxRevision + 1;
            // The history is committed before every key/value checkpoint, so it holds every revision the checkpoint
            // names: fewer means commit records or entries were lost.
            if (maxRevision >= minRevision && (FirstRevision != minRevision || FirstRevision + addresses.Count - 1 != maxRevision))
            {
                var held = addresses.Count == 0 ? "none" : $"{FirstRevision}..{FirstRevision + addresses.Count - 1}";
                throw new StorageIntegrityException(
                    root, $"The revision history lacks revisions the key/value checkpoint says it holds (expected {minRevision}..{maxRevision}, found {held})", OperatorRemedy.ReplaceMember);
            }
        }
    }

    /// <summary>
    /// Appends the payload of the next revision, in as many parts as it needs. Single writer. The revision is
    /// indexed only once every part is enqueued, so a failure part-way leaves the index as it was.
    /// </summary>
    public void Append(long revision, ReadOnlySpan<byte> payload)
    {
        lock (gate)
        {
            if (addresses.Count > 0 && revision != FirstRevision + addresses.Count)
                throw new InvalidOperationException($"History expects revision {FirstRevision + addresses.Count}, got {revision}.");
        }

        var parts = Math.Max(1, (payload.Length + maxPartBytes - 1) / maxPartBytes);
        var buffer = new byte[HeaderBytes + Math.Min(payload.Length, maxPartBytes)];
        long first = 0;
        for (var part = 0; part < parts; part++)
        {
            var slice = payload.Slice(part * maxPartBytes, Math.Min(maxPartBytes, payload.Length - (part * maxPartBytes)));
            var record = buffer.AsSpan(0, HeaderBytes + slice.Length);
            EncodePart(record, revision, part, parts, slice);
            long address;
            try
            {
                address = log.Enqueue(record);
            }
            catch (Exception e)
            {
                throw new StorageFaultException($"Appending revision {revision} to the history failed: {e.Message}", e);
            }

            if (part == 0)
                first = address;
        }

        lock (gate)
        {
            if (addresses.Count == 0)
                FirstRevision = revision;
            addresses.Add(first);
        }
    }

    /// <summary>Writes one part into <paramref name="record"/> (exactly header + slice long), with its check.</summary>
    public static void EncodePart(Span<byte> record, long revision, int part, int parts, ReadOnlySpan<byte> slice)
    {
        record[0] = FormatVersion;
        BinaryPrimitives.WriteInt64LittleEndian(record[1..], revision);
        BinaryPrimitives.WriteInt32LittleEndian(record[9..], part);
        BinaryPrimitives.WriteInt32LittleEndian(record[13..], parts);
        slice.CopyTo(record[HeaderBytes..]);
        BinaryPrimitives.WriteUInt64LittleEndian(record[CheckOffset..], Check(record));
    }

    /// <summary>Bytes one part of <paramref name="sliceBytes"/> takes in the log, header included.</summary>
    public static int PartBytes(int sliceBytes) => HeaderBytes + sliceBytes;

    private static ulong Check(ReadOnlySpan<byte> record)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(record[..CheckOffset]);
        hash.AppendData(record[HeaderBytes..]);
        Span<byte> digest = stackalloc byte[32];
        hash.GetCurrentHash(digest);
        return BinaryPrimitives.ReadUInt64LittleEndian(digest);
    }

    /// <summary>The log file holding <paramref name="address"/> (FasterLog addresses are byte offsets, one file per segment).</summary>
    private string SegmentPath(long address) => Path.Combine(root, $"{LogFileName}.{address / segmentBytes}");

    /// <summary>Forgets everything and starts again at <paramref name="nextRevision"/> (after a snapshot install).</summary>
    public void Reset(long nextRevision)
    {
        lock (gate)
        {
            addresses.Clear();
            FirstRevision = nextRevision;
        }

        log.TruncateUntil(log.TailAddress);
    }

    /// <summary>Drops revisions older than <paramref name="revision"/>.</summary>
    public void CompactBefore(long revision)
    {
        long truncateAt;
        lock (gate)
        {
            var drop = (int)Math.Min(addresses.Count - 1, revision - FirstRevision);
            if (drop <= 0)
                return;
            truncateAt = addresses[drop];
            addresses.RemoveRange(0, drop);
            FirstRevision += drop;
        }

        log.TruncateUntil(truncateAt);
    }

    /// <summary>Makes everything appended so far durable.</summary>
    public ValueTask CommitAsync(CancellationToken token) => log.CommitAsync(token);

    /// <summary>
    /// Reads revisions from <paramref name="fromRevision"/> up to <paramref name="toRevision"/> inclusive that
    /// are already committed to the log; returns (revision, payload) pairs in order.
    /// </summary>
    public List<(long Revision, byte[] Payload)> ReadCommitted(long fromRevision, long toRevision, int maxCount)
    {
        long start;
        lock (gate)
        {
            if (fromRevision < FirstRevision || fromRevision > FirstRevision + addresses.Count - 1)
                return [];
            start = addresses[(int)(fromRevision - FirstRevision)];
        }

        var result = new List<(long, byte[])>();
        var expected = fromRevision;
        foreach (var (revision, _, payload) in WholeRevisions(start, keepPayload: true))
        {
            if (result.Count >= maxCount || expected > toRevision)
                break;
            // Copies applied twice around a crash sit between the originals; both copies are equal, so taking
            // each revision once, in order, is enough.
            if (revision != expected)
                continue;
            result.Add((revision, payload!));
            expected++;
        }

        return result;
    }

    /// <summary>
    /// The complete revisions in the committed log from <paramref name="from"/>, in log order, with the address of
    /// each one's first part. Parts that do not join into a whole revision (a crash between parts, a record of
    /// another format) are passed over.
    /// </summary>
    private IEnumerable<(long Revision, long Address, byte[]? Payload)> WholeRevisions(long from, bool keepPayload)
    {
        using var iterator = log.Scan(from, log.CommittedUntilAddress);
        long revision = -1, firstAddress = 0;
        int expectedPart = 0, parts = 0;
        MemoryStream? joined = null;
        while (true)
        {
            // Pooled buffers, not a new array per entry: recovery walks every entry (1 GiB of 100 KiB values was
            // a gigabyte of large-object allocations, seconds of a restart).
            IMemoryOwner<byte> owner;
            int length;
            long address;
            try
            {
                if (!iterator.GetNext(MemoryPool<byte>.Shared, out owner, out length, out address, out _))
                    break;
            }
            catch (FasterException e)
            {
                throw new StorageIntegrityException(
                    SegmentPath(iterator.NextAddress), $"The revision history is damaged near address {iterator.NextAddress} ({e.Message})", OperatorRemedy.ReplaceMember, e);
            }

            using var held = owner;
            var entry = owner.Memory.Span[..length];
            if (length < HeaderBytes || entry[0] != FormatVersion)
            {
                expectedPart = -1;
                continue;
            }

            if (BinaryPrimitives.ReadUInt64LittleEndian(entry[CheckOffset..]) != Check(entry))
            {
                throw new StorageIntegrityException(
                    SegmentPath(address), $"The revision history entry at address {address} fails its checksum", OperatorRemedy.ReplaceMember);
            }

            var entryRevision = BinaryPrimitives.ReadInt64LittleEndian(entry[1..]);
            var part = BinaryPrimitives.ReadInt32LittleEndian(entry[9..]);
            var entryParts = BinaryPrimitives.ReadInt32LittleEndian(entry[13..]);
            if (part == 0)
            {
                revision = entryRevision;
                firstAddress = address;
                parts = entryParts;
                expectedPart = 0;
                joined = keepPayload ? new MemoryStream() : null;
            }
            else if (entryRevision != revision || part != expectedPart || entryParts != parts)
            {
                // Not the continuation of the revision being joined: that one is incomplete.
                expectedPart = -1;
                continue;
            }

            joined?.Write(entry[HeaderBytes..]);
            expectedPart++;
            if (expectedPart == parts)
            {
                yield return (revision, firstAddress, joined?.ToArray());
                expectedPart = -1;
            }
        }
    }

    public void Dispose()
    {
        log.Dispose();
        settings.Dispose();
        device.Dispose();
        commits.Dispose();
    }
}
