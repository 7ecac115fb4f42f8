using GlobalZone.Contracts;

namespace GlobalZone.Jepsen.Traffic.BigValues;

/// <summary>How the <c>--big-values</c> background writers write (fixed: the point is values at the server's limits).</summary>
internal sealed record BigValueSettings
{
    /// <summary>Background writers beside the checked workload; each owns its keys.</summary>
    public int Writers { get; init; } = 2;

    /// <summary>Raw keys per writer, written in turn: bounds the state to a few megabytes per writer.</summary>
    public int RawKeysPerWriter { get; init; } = 8;

    /// <summary>Every Nth write of a writer is a transaction (the others are raw puts).</summary>
    public int TransactionEvery { get; init; } = 4;

    /// <summary>Puts per transaction: the request limit.</summary>
    public int TransactionKeys { get; init; } = Limits.MaxTxnOperations;

    /// <summary>The server's value limit (the harness starts members with the default).</summary>
    public int MaxValueBytes { get; init; } = Limits.DefaultMaxValueBytes;

    /// <summary>
    /// Bytes of each transaction value: the values add up to the value limit less 16 KiB, which leaves room in the
    /// request (limited to the value limit plus 64 KiB) for the JSON around 128 puts.
    /// </summary>
    public int TransactionValueBytes => (MaxValueBytes - (16 << 10)) / TransactionKeys;

    /// <summary>
    /// Writes per second per writer, at most. Unthrottled, two writers of a megabyte each fill the members' logs with
    /// gigabytes in a minute and starve the checked workload on a small machine; two a second still keeps a few
    /// megabytes in every replication round.
    /// </summary>
    public double WritesPerSecond { get; init; } = 2;

    /// <summary>
    /// How long a big write may take before it counts as unknown. Longer than the 4 s default because a 1 MiB entry
    /// waits behind the leader's 4 MiB write budget and, after a leader change, behind catching followers up; the
    /// elections we have seen under faults take up to about 10 s (pause-leader). 15 s lets most writes accepted by a
    /// live leader end definitely, so the check has acknowledged writes to hold the cluster to, while a write lost in
    /// a fault still ends as unknown before the next fault (the default interval plus fault duration is 13 s).
    /// </summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(15);
}
