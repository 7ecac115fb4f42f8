using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.StateMachine;
using GlobalZone.Storage;
using GlobalZone.Storage.DataFolder;

namespace GlobalZone.DataTools;

/// <summary>
/// Seeds a member data folder of a new cluster from a backup, as <c>etcdutl snapshot restore</c> does: the FASTER
/// state is written and checkpointed at the backup's Raft index, so the member starts with every key at its revision
/// and an empty Raft log that continues after that index; the folder's identity names the new cluster, so the server
/// refuses to start it under the old cluster's configuration.
/// </summary>
/// <remarks>
/// The restored snapshot is labelled with term 0 (before any term of the new cluster): the new group's first leader
/// then writes entries of its own term after it, so terms in the log still only grow. Members seeded from the same
/// file agree on that entry; an empty member is sent the snapshot by the leader.
/// </remarks>
public static class BackupRestore
{
    public sealed record Outcome(BackupHeader Header, string DataDirectory, string ClusterName, long Revision, int Keys);

    /// <summary>Checks a backup file end to end (header, body hash) without restoring it.</summary>
    public static async Task<BackupHeader> VerifyFileAsync(string path, CancellationToken token)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        try
        {
            return await BackupFormat.VerifyAsync(file, token).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw new DataToolException($"{path}: {e.Message}", e);
        }
    }

    public static async Task<Outcome> RestoreAsync(string file, string dataDirectory, string clusterName, CancellationToken token)
    {
        if (string.IsNullOrWhiteSpace(clusterName))
            throw new DataToolException("--cluster-name must name the new cluster.");
        var header = await VerifyFileAsync(file, token).ConfigureAwait(false);
        if (string.Equals(header.ClusterName, clusterName, StringComparison.Ordinal))
            throw new DataToolException($"The backup comes from cluster '{header.ClusterName}'; a restore starts a new cluster, so give it a new --cluster-name.");

        var root = Path.GetFullPath(dataDirectory);
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
            throw new DataToolException($"{root} is not empty; restore into a new, empty data folder.");
        Directory.CreateDirectory(root);

        var defaults = new NodeOptions();
        long revision;
        int keys;
        await using (var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
        {
            await BackupFormat.ReadHeaderAsync(source, token).ConfigureAwait(false);
            // Same place and sizes as the server's state (ConsensusRegistration): <data>/state.
            using var state = new KeyValueStateMachine(
                new StorageOptions { Directory = new DataDirectoryLayout(root).State, KeyValueMemoryBytes = (long)defaults.StorageMemoryMiB << 20, MaxValueBytes = defaults.MaxValueBytes },
                defaults.HistoryRetention);
            await state.InstallSnapshotAsync(source, labelIndex: header.RaftIndex, labelTerm: 0, token).ConfigureAwait(false);
            revision = state.Revision;
            keys = state.KeyCount;
        }

        if (revision != header.Revision)
            throw new DataToolException($"The restored state is at revision {revision}, but the backup says {header.Revision}.");
        // The folder now holds this release's format: the server checks it at start.
        DataFolderFormat.Open(root, FasterKeyValueStore.CreationMarker(new DataDirectoryLayout(root).State)).MarkInitialized();
        new ClusterIdentityFile
        {
            ClusterName = clusterName,
            RestoredFromCluster = header.ClusterName,
            RestoredRevision = header.Revision,
            RestoredBackupSha256 = header.BodySha256,
        }.Write(root);
        return new Outcome(header, root, clusterName, revision, keys);
    }
}
