namespace GlobalZone.Consensus.Log;

/// <summary>Sizes of the Raft log, derived from the member's limits (see <see cref="FasterRaftLogOptions.For"/>).</summary>
public sealed record FasterRaftLogOptions
{
    public required string DataDirectory { get; init; }

    /// <summary>FasterLog page; an entry larger than a page is written in parts, so this bounds nothing a client sends.</summary>
    public long PageBytes { get; init; } = 4L << 20;

    /// <summary>FasterLog's in-memory tail (at least four pages).</summary>
    public long MemoryBytes { get; init; } = 32L << 20;

    /// <summary>
    /// Most payload bytes one AppendEntries carries (at least one entry always goes): DotNext sends whatever the log
    /// returns for a range, so this is what keeps a lagging member's catch-up calls within the RPC timeout.
    /// </summary>
    public long MaxBytesPerAppendEntries { get; init; } = 4L << 20;

    /// <summary>
    /// The leader's flush of its new entries runs while they travel to the followers (and the commit index waits for
    /// it), instead of before they are sent. Off only to compare the two in a benchmark.
    /// </summary>
    public bool LeaderFlushOverlapsReplication { get; init; } = true;

    /// <summary>TEST-ONLY: count and acknowledge entries before they are durable (reintroduces the bug a test must catch).</summary>
    public bool AcknowledgeBeforePersisting { get; init; }

    public static FasterRaftLogOptions For(NodeOptions options) => new()
    {
        DataDirectory = options.DataDirectory,
        AcknowledgeBeforePersisting = options.Testing.AcknowledgeBeforePersisting,
        LeaderFlushOverlapsReplication = options.LeaderFlushOverlapsReplication,
    };
}
