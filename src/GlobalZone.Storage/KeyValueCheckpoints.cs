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
        manifest.Verify(root);
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
        for (var segment = first; segment * segmentBytes < info.finalLogicalAddress; segment++)
            AddLogPrefix(files, $"{LogFile}.{segment}", Math.Min(segmentBytes, info.finalLogicalAddress - (segment * segmentBytes)));
        foreach (var gone in logDigests.Keys.Where(name => SegmentNumber(name) < first).ToList())
        {
            logDigests[gone].Hash.Dispose();
            logDigests.Remove(gone);
        }

        new CheckpointManifest(token, files).Write(root);
        RemoveAllBut(token);
        return info.beginAddress;
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

    /// <summary>Hashes the first <paramref name="length"/> bytes of a log file, continuing from the last checkpoint's hash.</summary>
    private void AddLogPrefix(List<CheckpointManifest.Entry> files, string name, long length)
    {
        var path = Path.Combine(root, name);
        if (!File.Exists(path))
            return;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        length = Math.Min(length, stream.Length);
        if (!logDigests.TryGetValue(name, out var digest) || digest.Length > length)
        {
            digest.Hash?.Dispose();
            digest = (0, IncrementalHash.CreateHash(HashAlgorithmName.SHA256));
        }

        FileDigest.AppendRange(digest.Hash, stream, digest.Length, length - digest.Length);
        logDigests[name] = (length, digest.Hash);
        files.Add(new CheckpointManifest.Entry(name, length, Convert.ToHexStringLower(digest.Hash.GetCurrentHash())));
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
