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
}
