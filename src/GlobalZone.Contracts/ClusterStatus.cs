namespace GlobalZone.Contracts;

/// <summary>The answer of <c>GET /v1/cluster</c>.</summary>
public sealed record ClusterStatus
{
    public required string ClusterName { get; init; }
    public required string MemberId { get; init; }
    public required string Site { get; init; }
    public required string Role { get; init; }
    public string? LeaderId { get; init; }
    public string? LeaderUrl { get; init; }
    public required long Term { get; init; }
    public required long CommitIndex { get; init; }
    public required long AppliedIndex { get; init; }
    public required long Revision { get; init; }
    public required long SnapshotIndex { get; init; }
    public required IReadOnlyList<MemberStatus> Members { get; init; }

    /// <summary>Whether the answering member is the witness (it serves no clients).</summary>
    public bool IsWitness { get; init; }

    /// <summary>The site the leader should live in when a voter there is healthy, if one is configured.</summary>
    public string? PreferredLeaderSite { get; init; }

    /// <summary>A snapshot this member is fetching from the leader (null: none in flight or finished).</summary>
    public SnapshotTransferStatus? SnapshotTransfer { get; init; }

    /// <summary>The newest leadership hand-off any reachable member has recorded (witness catch-up or move to the preferred site).</summary>
    public LeadershipHandoff? LastHandoff { get; init; }
}

/// <summary>One member as the answering member sees it.</summary>
public sealed record MemberStatus
{
    public required string Id { get; init; }
    public required string Url { get; init; }
    public required string Site { get; init; }
    public required string Role { get; init; }
    public required bool IsWitness { get; init; }
    public required bool IsLeader { get; init; }
    public required bool IsLocal { get; init; }
    public string? Status { get; init; }

    /// <summary>Index of the last entry in the member's log, as it last reported it (null: no report yet).</summary>
    public long? LastLogIndex { get; init; }

    /// <summary>Index the member had applied to its state, as it last reported it.</summary>
    public long? AppliedIndex { get; init; }

    /// <summary>
    /// Committed entries the member did not yet hold when it last reported: the highest commit index known to the
    /// answering member minus the member's last log index (0 = caught up; null = no report yet).
    /// </summary>
    public long? ReplicationLag { get; init; }

    /// <summary>How old that report is, in milliseconds (a large age means the member is unreachable from here).</summary>
    public long? ReportAgeMs { get; init; }
}

/// <summary>How far a member's download (and install) of a snapshot file has come; shown until it is installed.</summary>
public sealed record SnapshotTransferStatus
{
    public required string SnapshotId { get; init; }
    public required long ReceivedBytes { get; init; }

    /// <summary>The file's size; 0 while the leader is still writing it (the member fetches it as it grows).</summary>
    public required long TotalBytes { get; init; }
}
