using System.Buffers.Binary;
using FASTER.core;

namespace GlobalZone.Storage;

/// <summary>
/// The applied history, one FasterLog entry per revision (<c>[revision:8][payload]</c>), kept for watches
/// and reads of recent changes, and compacted from the front by revision.
/// </summary>
/// <remarks>
/// Revisions are consecutive (one per committed write), so the address of revision r is
/// <c>addresses[r - FirstRevision]</c>. After a crash the log may hold entries newer than the key/value
/// checkpoint; <see cref="Recover"/> drops them from the index, and the Raft WAL replays them again.
/// </remarks>
public sealed class RevisionHistory : IDisposable
{
    private readonly FasterLogSettings settings;
    private readonly FasterLog log;
    private readonly IDevice device;
    private readonly List<long> addresses = new();
    private readonly Lock gate = new();

    public RevisionHistory(StorageOptions options)
    {
        var root = Path.Combine(options.Directory, "history");
        Directory.CreateDirectory(root);
        device = Devices.CreateLogDevice(Path.Combine(root, "history.log"), recoverDevice: true);
        settings = new FasterLogSettings
        {
            LogDevice = device,
            LogCommitDir = Path.Combine(root, "commits"),
            MemorySize = options.HistoryMemoryBytes,
            PageSize = options.HistoryPageBytes,
            RemoveOutdatedCommits = true,
            TryRecoverLatest = true,
        };
        log = new FasterLog(settings);
    }

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
    public void Recover(long minRevision, long maxRevision)
    {
        lock (gate)
        {
            addresses.Clear();
            FirstRevision = minRevision;
            using var iterator = log.Scan(log.BeginAddress, log.CommittedUntilAddress);
            while (iterator.GetNext(out byte[] entry, out var length, out var address))
            {
                if (length < sizeof(long))
                    continue;
                var revision = BinaryPrimitives.ReadInt64LittleEndian(entry);
                if (revision < minRevision || revision > maxRevision)
                    continue;
                var slot = (int)(revision - minRevision);
                // A revision seen twice (applied again after a crash) keeps its newest copy; both are equal.
                if (slot < addresses.Count)
                    addresses[slot] = address;
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
        }
    }

    /// <summary>Appends the payload of the next revision. Single writer.</summary>
    public void Append(long revision, ReadOnlySpan<byte> payload)
    {
        var buffer = new byte[sizeof(long) + payload.Length];
        BinaryPrimitives.WriteInt64LittleEndian(buffer, revision);
        payload.CopyTo(buffer.AsSpan(sizeof(long)));
        var address = log.Enqueue(buffer);
        lock (gate)
        {
            if (addresses.Count == 0)
                FirstRevision = revision;
            else if (revision != FirstRevision + addresses.Count)
                throw new InvalidOperationException($"History expects revision {FirstRevision + addresses.Count}, got {revision}.");
            addresses.Add(address);
        }
    }

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
        using var iterator = log.Scan(start, log.CommittedUntilAddress);
        while (result.Count < maxCount && expected <= toRevision && iterator.GetNext(out byte[] entry, out var length, out _))
        {
            // Copies applied twice around a crash sit between the originals; both copies are equal, so
            // taking each revision once, in order, is enough.
            var revision = BinaryPrimitives.ReadInt64LittleEndian(entry);
            if (revision != expected)
                continue;
            result.Add((revision, entry.AsSpan(sizeof(long), length - sizeof(long)).ToArray()));
            expected++;
        }

        return result;
    }

    public void Dispose()
    {
        log.Dispose();
        settings.Dispose();
        device.Dispose();
    }
}
