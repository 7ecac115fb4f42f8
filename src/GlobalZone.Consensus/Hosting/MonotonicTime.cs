namespace GlobalZone.Consensus;

/// <summary>
/// Monotonic milliseconds on a <see cref="TimeProvider"/>. The failover machinery (witness, placement, the dead-leader
/// shortcut, leases, peer progress) keeps its deadlines as millisecond counts; reading them from the injected
/// <see cref="TimeProvider"/> rather than <see cref="Environment.TickCount64"/> lets tests drive those deadlines with a
/// fake clock, and with <see cref="TimeProvider.System"/> it is the same high-resolution monotonic clock.
/// </summary>
public static class MonotonicTime
{
    /// <summary>Milliseconds since an arbitrary start; only differences mean anything.</summary>
    public static long NowMs(this TimeProvider time)
        // Int128: a nanosecond timestamp times 1000 would pass long.MaxValue after about 106 days of uptime.
        => (long)((Int128)time.GetTimestamp() * 1000 / time.TimestampFrequency);
}
