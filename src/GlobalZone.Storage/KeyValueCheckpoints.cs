using System.Security.Cryptography;
using FASTER.core;
using GlobalZone.Storage.Integrity;

namespace GlobalZone.Storage;

/// <summary>
/// The key/value store's checkpoints on disk and their <see cref="CheckpointManifest"/>: which checkpoint to recover
/// (verified before FASTER reads it), the manifest written after each checkpoint, and the removal of the others.
/// </summary>
/// <remarks>
/// <para>A fold-over checkpoint is its metadata (<c>cpr-checkpoints/TOKEN</c>), the hash index
/// (<c>index-checkpoints/TOKEN</c>) and the hybrid log it points into (<c>hlog.log.N</c>; records are SpanByte, so
/// there is no object log) up to the address its metadata records. Those log prefixes never change after the
/// checkpoint (FASTER writes later records after them, reading back a shared sector before rewriting it), so each one is hashed incrementally: a
/// checkpoint hashes only what the log grew by since the last one.</para>
/// <para>FASTER's own "remove outdated checkpoints" is off: it deletes the previous checkpoint before the new
/// manifest exists. Here the old ones go only once the manifest names the new one, so a crash at any point leaves a
/// manifest naming a complete checkpoint (a newer, unnamed one is removed at the next start).</para>
/// </remarks>
internal sealed class KeyValueCheckpoints : IDisposable
{
    private const string CheckpointFolder = "checkpoints";
    private const string LogFile = "hlog.log";

    private readonly string root;
    private readonly long segmentBytes;
    private readonly Dictionary<string, (long Length, IncrementalHash Hash)> logDigests = new(StringComparer.Ordinal);

    public KeyValueCheckpoints(string root, long segmentBytes)
    {
        this.root = root;
        this.segmentBytes = segmentBytes;
        Manager = new DeviceLogCommitCheckpointManager(
            new LocalStorageNamedDeviceFactory(),
            new DefaultCheckpointNamingScheme(Path.Combine(root, CheckpointFolder)),
            removeOutdated: false);
    }

    public DeviceLogCommitCheckpointManager Manager { get; }

    /// <summary>Bytes hashed by the last <see cref="Verify"/>.</summary>
    public long VerifiedBytes { get; private set; }

    public string LogPath => Path.Combine(root, LogFile);

    /// <summary>
    /// The checkpoint to recover, verified against the manifest; null for a store that never completed one (a new
    /// store gets its first, empty manifest here, before FASTER writes anything).
    /// </summary>
    /// <param name="expectExisting">The data folder is known to hold state: a missing manifest is damage even in an empty folder.</param>
    /// <exception cref="StorageIntegrityException">The manifest or a file it lists is missing or damaged.</exception>
    public Guid? Verify(bool expectExisting)
    {
        var manifest = CheckpointManifest.TryRead(root);
        if (manifest is null)
        {
            if (expectExisting || Directory.EnumerateFileSystemEntries(root).Any())
                throw new StorageIntegrityException(CheckpointManifest.PathIn(root), "The key/value store's checkpoint manifest is missing", OperatorRemedy.ReplaceMember);
            new CheckpointManifest(null, []).Write(root);
            return null;
        }

        if (manifest.Token is { } token && manifest.Files.Count == 0)
            throw new StorageIntegrityException(CheckpointManifest.PathIn(root), $"The checkpoint manifest lists no files for checkpoint {token}", OperatorRemedy.ReplaceMember);
        // The log files' hash states are kept, so the next checkpoint (the one taken at start among them) hashes only
        // what the log grew by instead of reading the whole log again.
        manifest.Verify(root, (entry, hash) =>
        {
            if (!entry.Path.StartsWith(LogFile + ".", StringComparison.Ordinal))
                return false;
            lock (logDigests)
                logDigests[entry.Path] = (entry.Length, hash);
            return true;
        });
        VerifiedBytes = manifest.Files.Sum(f => f.Length);
        return manifest.Token;
    }

    /// <summary>The folder of a checkpoint's metadata (named in refusals when FASTER cannot recover it).</summary>
    public string MetadataFolder(Guid token) => Path.Combine(root, CheckpointFolder, "cpr-checkpoints", token.ToString());

    /// <summary>Writes the manifest for a completed checkpoint, then removes every other checkpoint.</summary>
    /// <returns>The checkpoint's log start: log files wholly before it are no longer needed.</returns>
    public long Record(Guid token)
    {
        var files = new List<CheckpointManifest.Entry>();
        foreach (var folder in new[] { "index-checkpoints", "cpr-checkpoints" })
        {
            var directory = Path.Combine(root, CheckpointFolder, folder, token.ToString());
            if (!Directory.Exists(directory))
                throw new IOException($"Checkpoint {token} has no folder {directory}.");
            foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var length = new FileInfo(file).Length;
                files.Add(new CheckpointManifest.Entry(Relative(file), length, FileDigest.OfPrefix(file, length) ?? throw new IOException($"{file} vanished while hashed.")));
            }
        }

        // The log from the checkpoint's start (compaction moves it on) to its end.
        var info = ReadLogInfo(token);
        var first = info.beginAddress / segmentBytes;
        var segments = new List<(string Name, long Length)>();
        for (var segment = first; segment * segmentBytes < info.finalLogicalAddress; segment++)
            segments.Add(($"{LogFile}.{segment}", Math.Min(segmentBytes, info.finalLogicalAddress - (segment * segmentBytes))));
        // One file per core at a time: after a snapshot install every segment is new and all of it is hashed.
        var hashed = new CheckpointManifest.Entry?[segments.Count];
        Parallel.For(0, segments.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            i => hashed[i] = HashLogPrefix(segments[i].Name, segments[i].Length));
        files.AddRange(hashed.OfType<CheckpointManifest.Entry>());
        foreach (var gone in logDigests.Keys.Where(name => SegmentNumber(name) < first).ToList())
        {
            logDigests[gone].Hash.Dispose();
            logDigests.Remove(gone);
        }

        new CheckpointManifest(token, files).Write(root);
        RemoveAllBut(token);
        return info.beginAddress;
    }

    /// <summary>
    /// Drops the kept hash of every log file FASTER's recovery of <paramref name="token"/> may have rewritten: it reads
    /// the pages from the start of the index checkpoint's fuzzy region (or the in-memory region, if lower) to the end
    /// and writes back those it changed, so their hashes are taken afresh at the next checkpoint. Files wholly below
    /// keep theirs (a restart then hashes the last few hundred MB, not the whole log, a second time).
    /// </summary>
    public void ForgetDigestsRecoveryMayRewrite(Guid token)
    {
        var info = ReadLogInfo(token);
        var rewrittenFrom = Math.Min(info.headAddress, Math.Min(info.startLogicalAddress, Math.Max(info.beginAddress, IndexStartAddress(token) ?? info.beginAddress)));
        lock (logDigests)
        {
            foreach (var name in logDigests.Keys.Where(name => (SegmentNumber(name) + 1) * segmentBytes > rewrittenFrom).ToList())
            {
                logDigests[name].Hash.Dispose();
                logDigests.Remove(name);
            }
        }
    }

    /// <summary>
    /// The log address an index checkpoint starts from (FASTER 2.6.5's index metadata is text, one field per line; the
    /// eighth is <c>startLogicalAddress</c>, read by <c>IndexRecoveryInfo.Initialize</c>, which is internal). Null when
    /// it cannot be read: the caller then assumes the lowest address.
    /// </summary>
    private long? IndexStartAddress(Guid token)
    {
        try
        {
            var metadata = Manager.GetIndexCheckpointMetadata(token);
            if (metadata is null)
                return null;
            var lines = System.Text.Encoding.UTF8.GetString(metadata).Split('\n');
            return lines.Length > 7 && long.TryParse(lines[7].Trim(), System.Globalization.CultureInfo.InvariantCulture, out var address) ? address : null;
        }
        catch (Exception e) when (e is IOException or FasterException)
        {
            return null;
        }
    }

    private static long SegmentNumber(string logFile) => long.Parse(logFile.AsSpan(LogFile.Length + 1), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Removes every checkpoint but <paramref name="keep"/> (all of them when null).</summary>
    public void RemoveAllBut(Guid? keep)
    {
        foreach (var folder in new[] { "index-checkpoints", "cpr-checkpoints" })
        {
            var parent = Path.Combine(root, CheckpointFolder, folder);
            if (!Directory.Exists(parent))
                continue;
            foreach (var directory in Directory.EnumerateDirectories(parent))
            {
                if (Guid.TryParse(Path.GetFileName(directory), out var token) && token != keep)
                    Manager.Purge(token);
            }
        }
    }

    private HybridLogRecoveryInfo ReadLogInfo(Guid token)
    {
        var metadata = Manager.GetLogCheckpointMetadata(token, null, false, -1)
            ?? throw new IOException($"Checkpoint {token} has no metadata.");
        var info = default(HybridLogRecoveryInfo);
        using var reader = new StreamReader(new MemoryStream(metadata));
        info.Initialize(reader);
        return info;
    }

    /// <summary>
    /// Hashes the first <paramref name="length"/> bytes of a log file, continuing from the last checkpoint's hash;
    /// null when the file does not exist. Safe for different files at once.
    /// </summary>
    private CheckpointManifest.Entry? HashLogPrefix(string name, long length)
    {
        var path = Path.Combine(root, name);
        if (!File.Exists(path))
            return null;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        length = Math.Min(length, stream.Length);
        (long Length, IncrementalHash? Hash) digest;
        lock (logDigests)
            digest = logDigests.TryGetValue(name, out var kept) ? kept : (0, null);
        if (digest.Hash is null || digest.Length > length)
        {
            digest.Hash?.Dispose();
            digest = (0, IncrementalHash.CreateHash(HashAlgorithmName.SHA256));
        }

        FileDigest.AppendRange(digest.Hash, stream, digest.Length, length - digest.Length);
        lock (logDigests)
            logDigests[name] = (length, digest.Hash);
        return new CheckpointManifest.Entry(name, length, Convert.ToHexStringLower(digest.Hash.GetCurrentHash()));
    }

    private string Relative(string path) => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');

    public void Dispose()
    {
        foreach (var (_, hash) in logDigests.Values)
            hash.Dispose();
        logDigests.Clear();
        Manager.Dispose();
    }
}
