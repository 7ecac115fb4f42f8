namespace GlobalZone.Storage.DataFolder;

/// <summary>
/// Every folder and file at the top of a member's data folder, named once. The member, its metrics, its backup
/// endpoint and the offline restore all find their places here, so a renamed folder cannot leave one of them reading
/// a place nothing writes any more (the Raft log's size gauge did, after the log moved from <c>raft</c> to
/// <c>raft-log</c>).
/// </summary>
/// <remarks>
/// <code>
/// DATA/FORMAT                  on-disk format version, checksummed (DataFolderFormat)
/// DATA/cluster-identity.json   the cluster this folder belongs to (ClusterIdentityFile)
/// DATA/state/                  FASTER key/value store with its checkpoints (kv/) and the revision history (history-v3/)
/// DATA/raft-log/               the Raft log on FasterLog, with the term/vote file
/// DATA/membership              DotNext's persisted cluster configuration
/// DATA/snapshots/              snapshot files made or received for transfers
/// DATA/backups-tmp/            scratch space of GET /v1/backup
/// </code>
/// </remarks>
/// <param name="Root">The data folder (GlobalZone:DataDirectory).</param>
public sealed record DataDirectoryLayout(string Root)
{
    /// <summary>The FASTER key/value store, its checkpoints and the revision history.</summary>
    public string State => Path.Combine(Root, "state");

    /// <summary>The Raft log (FasterLog) and the durable term and vote.</summary>
    public string RaftLog => Path.Combine(Root, "raft-log");

    /// <summary>DotNext's persisted cluster configuration (a file).</summary>
    public string Membership => Path.Combine(Root, "membership");

    /// <summary>Snapshot files a leader made to send, or a follower received.</summary>
    public string Snapshots => Path.Combine(Root, "snapshots");

    /// <summary>Scratch space for backups being served.</summary>
    public string BackupScratch => Path.Combine(Root, "backups-tmp");

    /// <summary>The format file (<see cref="DataFolderFormat"/>).</summary>
    public string FormatFile => DataFolderFormat.PathIn(Root);

    /// <summary>Where a release before the FasterLog Raft log kept DotNext's WAL; found non-empty, the folder is refused.</summary>
    public string EarlierRaftLog => Path.Combine(Root, "raft");
}
