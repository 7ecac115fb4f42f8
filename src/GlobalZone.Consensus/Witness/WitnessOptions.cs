namespace GlobalZone.Consensus;

/// <summary>
/// Timings of the witness hand-off (see <see cref="WitnessSupervisor"/>). Zero means "derived from the election
/// timeouts", so the same settings suit loopback tests and a WAN.
/// </summary>
public sealed record WitnessOptions
{
    /// <summary>
    /// How long the witness must have seen no leader before it considers leading (0 = the lower election timeout).
    /// It leads only if every voter it can reach holds an older log than its own, which no waiting would change:
    /// it refuses its vote to each of them, so none of them can win with it.
    /// </summary>
    public int TakeoverAfterMs { get; init; }

    /// <summary>How long the witness may campaign before it gives up and returns to standby (0 = 4 × the upper election timeout).</summary>
    public int CampaignWindowMs { get; init; }

    /// <summary>The longest the witness leads while bringing voters up to date before it steps down anyway (0 = 4 × the upper election timeout).</summary>
    public int HandoffTimeoutMs { get; init; }

    /// <summary>
    /// Pause after a takeover before the witness may take over again (0 = 2 × the upper election timeout). Doubles
    /// with every takeover until a voter has led steadily, so the witness cannot loop revert → win → resign.
    /// </summary>
    public int BackoffMs { get; init; }

    /// <summary>Ceiling of the doubling back-off.</summary>
    public int MaxBackoffMs { get; init; } = 60_000;

    public TimeSpan TakeoverAfter(RaftTimingOptions raft) => Derived(TakeoverAfterMs, raft.LowerElectionTimeoutMs);

    public TimeSpan CampaignWindow(RaftTimingOptions raft) => Derived(CampaignWindowMs, 4 * raft.UpperElectionTimeoutMs);

    public TimeSpan HandoffTimeout(RaftTimingOptions raft) => Derived(HandoffTimeoutMs, 4 * raft.UpperElectionTimeoutMs);

    public TimeSpan Backoff(RaftTimingOptions raft) => Derived(BackoffMs, 2 * raft.UpperElectionTimeoutMs);

    public void Validate()
    {
        if (TakeoverAfterMs < 0 || CampaignWindowMs < 0 || HandoffTimeoutMs < 0 || BackoffMs < 0 || MaxBackoffMs < 0)
            throw new ArgumentException("GlobalZone:Witness timings must not be negative.");
    }

    private static TimeSpan Derived(int configuredMs, int fallbackMs) => TimeSpan.FromMilliseconds(configuredMs > 0 ? configuredMs : fallbackMs);
}
