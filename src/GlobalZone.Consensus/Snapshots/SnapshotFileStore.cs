using GlobalZone.StateMachine;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus.Snapshots;

/// <summary>
/// The snapshot files this member serves, in the data folder's <c>snapshots</c> directory: at most one is written per
/// checkpoint (lazily, when a member first needs it), readers lease a file while they stream it (from its first
/// written byte: a file is served while it is written), and a file is deleted once a newer one exists and no transfer
/// reads it.
/// </summary>
public sealed partial class SnapshotFileStore
{
    private readonly string directory;
    private readonly KeyValueStateMachine state;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly Lock sync = new();
    private readonly Dictionary<string, SnapshotFileInfo> files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> readers = new(StringComparer.Ordinal);
    private SnapshotFileInfo? newest;
    private (long Index, long Term)? producing;
    private SnapshotFileInfo? producingFile;

    /// <param name="directory">Where the files live (emptied at start).</param>
    /// <param name="state">The state the files are dumped from.</param>
    /// <param name="logger">Where writes and failures are logged.</param>
    /// <param name="time">The clock for the pacers and durations.</param>
    /// <param name="transferBytesPerSecond">
    /// The rate each dump is written at, and the rate all sends together go at (0: unlimited); see <see cref="TransferPacer"/>.
    /// </param>
    public SnapshotFileStore(string directory, KeyValueStateMachine state, ILogger logger, TimeProvider time, long transferBytesPerSecond = 0)
    {
        DumpPacer = new TransferPacer(transferBytesPerSecond, time);
        SendPacer = new TransferPacer(transferBytesPerSecond, time);
        this.directory = directory;
        this.state = state;
        this.logger = logger;
        this.time = time;
        Directory.CreateDirectory(directory);
        // Files of an earlier run are for checkpoints DotNext no longer knows; they would never be asked for.
        foreach (var leftover in Directory.EnumerateFiles(directory))
            File.Delete(leftover);
    }

    /// <summary>Paces the dumps this store writes.</summary>
    public TransferPacer DumpPacer { get; }

    /// <summary>
    /// Paces every send of these files together (one rate for all members fetching; a send that follows a file still
    /// being written is paced by the dump as well).
    /// </summary>
    public TransferPacer SendPacer { get; }

    /// <summary>Transfers reading a file right now.</summary>
    public int ActiveReaders
    {
        get
        {
            lock (sync)
                return readers.Values.Sum();
        }
    }

    /// <summary>True while a file is being written.</summary>
    public bool IsProducing
    {
        get
        {
            lock (sync)
                return producing is not null;
        }
    }

    /// <summary>The file for that checkpoint, if written.</summary>
    public SnapshotFileInfo? TryGetReady(long index, long term)
    {
        lock (sync)
            return newest is { } file && file.Index == index && file.Term == term ? file : null;
    }

    /// <summary>The file for that checkpoint while it is being written (members may fetch it already), if so.</summary>
    public SnapshotFileInfo? TryGetProducing(long index, long term)
    {
        lock (sync)
            return producingFile is { } file && file.Index == index && file.Term == term ? file : null;
    }

    /// <summary>Starts writing the file for that checkpoint unless it exists or is being written.</summary>
    public void EnsureProducing(long index, long term)
    {
        lock (sync)
        {
            if ((newest is { } file && file.Index == index && file.Term == term) || producing == (index, term))
                return;
            if (producing is not null)
                return; // one dump at a time; the caller asks again on its next attempt
            producing = (index, term);
        }

        _ = Task.Run(() => Produce(index, term));
    }

    private void Produce(long index, long term)
    {
        var id = SnapshotFile.NewId(index, term);
        var path = Path.Combine(directory, id + SnapshotFile.Extension);
        var started = time.GetTimestamp();
        var growing = new GrowingFile(path);
        try
        {
            // Served from its first byte (no temporary name: readers open it by this path while it grows). Files are
            // found only through this store, which forgets a failed one, and every file is deleted at the next start.
            lock (sync)
            {
                producingFile = new SnapshotFileInfo(id, path, index, term, 0, 0, "") { Growing = growing };
                files[id] = producingFile;
            }

            var info = SnapshotFile.Write(growing, id, state, index, term, DumpPacer, CancellationToken.None) with { Growing = growing };
            lock (sync)
            {
                files[id] = info;
                newest = info;
                producingFile = null;
                DeleteUnused();
            }

            LogWritten(id, index, info.ReflectedIndex, info.Size, time.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e)
        {
            LogWriteFailed(e, index);
            lock (sync)
            {
                files.Remove(id);
                producingFile = null;
            }

            if (File.Exists(path))
                File.Delete(path);
        }
        finally
        {
            lock (sync)
                producing = null;
        }
    }

    /// <summary>Leases the file named <paramref name="id"/> for reading (null: unknown or deleted).</summary>
    public SnapshotFileLease? TryOpen(string id)
    {
        lock (sync)
        {
            if (!files.TryGetValue(id, out var info))
                return null;
            readers[id] = readers.GetValueOrDefault(id) + 1;
            return new SnapshotFileLease(info, () => Release(id));
        }
    }

    private void Release(string id)
    {
        lock (sync)
        {
            if (readers.TryGetValue(id, out var count))
            {
                if (count <= 1)
                    readers.Remove(id);
                else
                    readers[id] = count - 1;
            }

            DeleteUnused();
        }
    }

    private void DeleteUnused()
    {
        foreach (var (id, info) in files.ToArray())
        {
            if (ReferenceEquals(info, newest) || ReferenceEquals(info, producingFile) || readers.ContainsKey(id))
                continue;
            files.Remove(id);
            try
            {
                File.Delete(info.Path);
            }
            catch (IOException e)
            {
                LogDeleteFailed(e, info.Path);
            }
        }
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Snapshot file {SnapshotId} written for index {Index} (state at index {ReflectedIndex}): {Bytes} bytes in {ElapsedMs:F0} ms")]
    private partial void LogWritten(string snapshotId, long index, long reflectedIndex, long bytes, double elapsedMs);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Error, Message = "Writing the snapshot file for index {Index} failed; the next member that needs it retries")]
    private partial void LogWriteFailed(Exception e, long index);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "Could not delete the old snapshot file {Path}")]
    private partial void LogDeleteFailed(Exception e, string path);
}

/// <summary>A file held open for one transfer; disposing lets the store delete it once it is old.</summary>
public sealed class SnapshotFileLease(SnapshotFileInfo info, Action release) : IDisposable
{
    private int released;

    public SnapshotFileInfo File => info;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref released, 1) == 0)
            release();
    }
}
