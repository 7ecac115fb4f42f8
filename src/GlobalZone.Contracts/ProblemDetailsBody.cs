namespace GlobalZone.Contracts;

/// <summary>RFC 9457 problem body as GlobalZone sends it.</summary>
public sealed record ProblemDetailsBody
{
    public required string Type { get; init; }
    public required string Title { get; init; }
    public required int Status { get; init; }
    public string? Detail { get; init; }
    public string? Leader { get; init; }
    public long? CurrentRevision { get; init; }

    /// <summary>For a compacted watch or wait: the oldest revision still in the history.</summary>
    public long? OldestRevision { get; init; }

    /// <summary>For lock problems and refused fenced writes: the lock as it is now.</summary>
    public LockInfo? Lock { get; init; }
}
