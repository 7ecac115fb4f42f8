namespace GlobalZone.Consensus;

/// <summary>
/// Caps on what clients can make a member (or the cluster) hold, so that load answers "full, retry later" instead of
/// growing memory until the process dies (<c>GlobalZone:Limits:*</c>). Defaults are sized for demanding etcd/Consul
/// users, not for a test: the README's "Limits" section gives the memory each one costs at its default.
/// </summary>
/// <remarks>
/// Per-member caps (watches, blocking reads, idempotency records) are checked on the member a request reaches and
/// answered 503 + Retry-After. Cluster-wide caps (leases, lock waiters) travel in the command the member proposes and
/// are enforced in apply, so every member refuses the same command; the member also checks them before proposing, for
/// a quick answer. They are answered 429 + Retry-After. 0 turns a cap off.
/// </remarks>
public sealed record ResourceLimits
{
    /// <summary>Open watch streams (SSE) one member serves at once.</summary>
    public int MaxWatchesPerMember { get; init; } = 50_000;

    /// <summary>Reads one member holds blocked waiting for a revision (<c>?waitRevision=</c>).</summary>
    public int MaxBlockingReadsPerMember { get; init; } = 20_000;

    /// <summary>Leases the cluster holds at once.</summary>
    public long MaxLeases { get; init; } = 100_000;

    /// <summary>Waiters one lock may queue.</summary>
    public int MaxLockWaitersPerLock { get; init; } = 10_000;

    /// <summary>Waiters all locks together may queue.</summary>
    public long MaxLockWaiters { get; init; } = 100_000;

    /// <summary>
    /// Idempotency records (one per write with an Idempotency-Key within the window) before this member refuses new
    /// idempotent writes; every member holds them all, indexed in memory.
    /// </summary>
    public int MaxIdempotencyRecords { get; init; } = 1_000_000;

    /// <summary>What <c>Retry-After</c> says when a cap is reached, in seconds.</summary>
    public int RetryAfterSeconds { get; init; } = 5;

    public void Validate()
    {
        if (MaxWatchesPerMember < 0 || MaxBlockingReadsPerMember < 0 || MaxLeases < 0 || MaxLockWaitersPerLock < 0 || MaxLockWaiters < 0
            || MaxIdempotencyRecords < 0)
            throw new ArgumentException("GlobalZone:Limits caps must not be negative (0 turns a cap off).");
        if (RetryAfterSeconds is < 1 or > 3600)
            throw new ArgumentException("GlobalZone:Limits:RetryAfterSeconds must be from 1 to 3600.");
    }
}
