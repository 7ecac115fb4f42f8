namespace GlobalZone.Consensus.Snapshots;

/// <summary>
/// Holds a stream of bytes to a rate (a token bucket of <see cref="BurstBytes"/>, refilled at
/// <see cref="BytesPerSecond"/>): the leader's snapshot dump and its snapshot sends each pass every piece through one,
/// so that bringing a member up to date takes a bounded share of the leader's disk, CPU and network, and the
/// newcomer, which installs the file as it arrives, is paced with it. Unlimited (no waiting at all) when the rate is 0.
/// </summary>
/// <remarks>
/// Reservation style: a caller takes its bytes at once, running the bucket into debt, and waits until the debt is
/// repaid; so pieces of any size pass (a 1 MiB piece through a bucket smaller than that just waits longer) and
/// concurrent callers share the rate in arrival order. Written here rather than on System.Threading.RateLimiting's
/// <c>TokenBucketRateLimiter</c>, which refuses a request larger than its bucket and keeps its own clock: this one runs
/// on a <see cref="TimeProvider"/>, so tests drive it without waiting.
/// </remarks>
public sealed class TransferPacer
{
    /// <summary>Sends no faster than this on average.</summary>
    public long BytesPerSecond { get; }

    /// <summary>What may pass at once after an idle spell (a quarter of a second's worth, at least 1 MiB).</summary>
    public long BurstBytes { get; }

    private const long MinimumBurstBytes = 1 << 20;
    private readonly TimeProvider time;
    private readonly Lock sync = new();
    private double tokens;
    private long refilledAt;

    /// <param name="bytesPerSecond">The rate; 0 or less: unlimited.</param>
    /// <param name="time">The clock the waits run on.</param>
    public TransferPacer(long bytesPerSecond, TimeProvider time)
    {
        BytesPerSecond = Math.Max(0, bytesPerSecond);
        BurstBytes = Math.Max(MinimumBurstBytes, BytesPerSecond / 4);
        this.time = time;
        tokens = BurstBytes;
        refilledAt = time.GetTimestamp();
    }

    /// <summary>No limit: every call returns at once.</summary>
    public static TransferPacer Unlimited { get; } = new(0, TimeProvider.System);

    public bool IsLimited => BytesPerSecond > 0;

    /// <summary>Takes <paramref name="bytes"/> and waits until the rate allows them.</summary>
    public Task PaceAsync(long bytes, CancellationToken token)
    {
        var wait = Reserve(bytes);
        return wait <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(wait, time, token);
    }

    /// <summary>
    /// <see cref="PaceAsync"/> for a synchronous writer (the snapshot dump, which runs on its own task and already
    /// blocks on its file writes).
    /// </summary>
    public void Pace(long bytes, CancellationToken token)
    {
        var wait = Reserve(bytes);
        if (wait > TimeSpan.Zero)
            Task.Delay(wait, time, token).GetAwaiter().GetResult();
    }

    /// <summary>How long the caller must wait after taking <paramref name="bytes"/> (zero or less: none).</summary>
    internal TimeSpan Reserve(long bytes)
    {
        if (!IsLimited || bytes <= 0)
            return TimeSpan.Zero;
        lock (sync)
        {
            var now = time.GetTimestamp();
            tokens = Math.Min(BurstBytes, tokens + (time.GetElapsedTime(refilledAt, now).TotalSeconds * BytesPerSecond));
            refilledAt = now;
            tokens -= bytes;
            return tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-tokens / BytesPerSecond);
        }
    }
}
