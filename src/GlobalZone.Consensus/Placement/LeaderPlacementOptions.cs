namespace GlobalZone.Consensus;

/// <summary>
/// How leadership returns to the preferred site (see <see cref="PreferredLeaderPlacement"/>). Zero means "derived
/// from the election timeouts".
/// </summary>
public sealed record LeaderPlacementOptions
{
    /// <summary>Move leadership back to <see cref="NodeOptions.PreferredLeaderSite"/> when a voter there is healthy.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// How long a preferred-site voter must have been reachable, following this leader and caught up before
    /// leadership moves to it, and how long a leader must have led first (0 = 5 × the upper election timeout).
    /// A site that keeps failing never stays healthy this long, so leadership does not chase it.
    /// </summary>
    public int HealthyForMs { get; init; }

    /// <summary>How long other voters hold off campaigning while the preferred voter takes over (0 = 3 × the upper election timeout).</summary>
    public int HoldMs { get; init; }

    /// <summary>Pause after a transfer attempt before the same leader tries again (0 = 10 × the upper election timeout); doubles per attempt.</summary>
    public int BackoffMs { get; init; }

    /// <summary>Ceiling of the doubling back-off.</summary>
    public int MaxBackoffMs { get; init; } = 300_000;

    public TimeSpan HealthyFor(RaftTimingOptions raft) => Derived(HealthyForMs, 5 * raft.UpperElectionTimeoutMs);

    public TimeSpan Hold(RaftTimingOptions raft) => Derived(HoldMs, 3 * raft.UpperElectionTimeoutMs);

    public TimeSpan Backoff(RaftTimingOptions raft) => Derived(BackoffMs, 10 * raft.UpperElectionTimeoutMs);

    public void Validate()
    {
        if (HealthyForMs < 0 || HoldMs < 0 || BackoffMs < 0 || MaxBackoffMs < 0)
            throw new ArgumentException("GlobalZone:LeaderPlacement timings must not be negative.");
    }

    private static TimeSpan Derived(int configuredMs, int fallbackMs) => TimeSpan.FromMilliseconds(configuredMs > 0 ? configuredMs : fallbackMs);
}
