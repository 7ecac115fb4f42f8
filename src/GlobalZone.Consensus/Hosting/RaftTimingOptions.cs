namespace GlobalZone.Consensus;

/// <summary>
/// Raft timings. The defaults suit sites 10–50 ms apart: a heartbeat every ~150 ms keeps followers quiet
/// across a WAN hiccup, and an election timeout of 750–1500 ms (etcd uses 1000 ms with 100 ms heartbeats)
/// survives a couple of lost heartbeats without a needless election. Tests on loopback shorten them.
/// </summary>
public sealed record RaftTimingOptions
{
    public int LowerElectionTimeoutMs { get; init; } = 750;

    public int UpperElectionTimeoutMs { get; init; } = 1500;

    /// <summary>Heartbeat interval as a fraction of the lower election timeout.</summary>
    public double HeartbeatThreshold { get; init; } = 0.2;

    /// <summary>
    /// Upper bound of one Raft call (0 = three quarters of the lower election timeout; it must stay below it). Snapshots
    /// are not bound by it: the call carries only a descriptor, and the file is fetched out of band.
    /// </summary>
    public int RpcTimeoutMs { get; init; } = 0;

    /// <summary>The RPC timeout in effect: <see cref="RpcTimeoutMs"/>, or three quarters of the lower election timeout.</summary>
    public int EffectiveRpcTimeoutMs => RpcTimeoutMs > 0 ? RpcTimeoutMs : LowerElectionTimeoutMs * 3 / 4;

    /// <summary>
    /// DotNext's divisor for the leader lease: the leader serves reads locally for lower timeout ÷ this after a
    /// heartbeat round a majority acknowledged, counted from before the round was sent (500 ms at the defaults). It is
    /// also how long a leader keeps leading without hearing from a majority.
    /// </summary>
    public double ClockDriftBound { get; init; } = 1.5;

    /// <summary>
    /// How much faster one member's monotonic clock may run than another's, for the leader-silence window below.
    /// Real clocks differ by parts per million (NTP slews by at most 500 ppm); 1.2 leaves a wide margin.
    /// </summary>
    public double LeaseClockDrift { get; init; } = 1.2;

    /// <summary>The leader lease DotNext grants, in milliseconds (<see cref="ClockDriftBound"/>).</summary>
    public double LeaderLeaseMs => LowerElectionTimeoutMs / ClockDriftBound;

    /// <summary>
    /// Silence after which a voter stops deferring to its leader (it votes again, and may campaign at once when the
    /// leader's process is gone): the lease × <see cref="LeaseClockDrift"/>, so a leader that heard from this voter
    /// last has lost its lease by then (600 ms at the defaults). Never more than the lower election timeout.
    /// </summary>
    public int LeaderSilenceWindowMs => (int)Math.Min(LowerElectionTimeoutMs, Math.Ceiling(LeaderLeaseMs * LeaseClockDrift));

    public void Validate()
    {
        if (LowerElectionTimeoutMs < 10 || UpperElectionTimeoutMs <= LowerElectionTimeoutMs)
            throw new ArgumentException("Election timeouts must satisfy 10 <= lower < upper.");
        if (HeartbeatThreshold is <= 0 or >= 1)
            throw new ArgumentException("HeartbeatThreshold must be between 0 and 1.");
        if (RpcTimeoutMs >= LowerElectionTimeoutMs)
            throw new ArgumentException("RpcTimeoutMs must be below LowerElectionTimeoutMs, or a stalled member blocks every election.");
        if (ClockDriftBound < 1)
            throw new ArgumentException("ClockDriftBound must be at least 1.");
        if (LeaseClockDrift < 1)
            throw new ArgumentException("LeaseClockDrift must be at least 1.");
    }
}
