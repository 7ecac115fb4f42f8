using System.Threading.RateLimiting;

namespace GlobalZone.Consensus;

/// <summary>The leader's backlog of commands waiting to be appended is full; nothing was appended.</summary>
public sealed class ProposalBacklogFullException(string message) : Exception(message);

/// <summary>
/// Bounds the bytes of commands the leader has appended but not yet applied. DotNext sends a follower everything
/// from its next index to the last entry in one AppendEntries call, bounded only by the RPC timeout, so without a
/// bound a burst of large values (1 MiB each at the default limit) makes one call big enough to miss the timeout,
/// the leader counts the followers as unreachable and steps down. With it, a replication round carries about the
/// budget at most, and writers beyond it wait their turn (oldest first) instead.
/// </summary>
/// <remarks>
/// Permits are kibibytes (System.Threading.RateLimiting's concurrency limiter, weighted by size); a command larger
/// than the whole budget takes all of it, so it goes alone. The queue holds at most 64 budgets of waiting commands;
/// past that a proposal is refused at once with <see cref="ProposalBacklogFullException"/> (503 and Retry-After).
/// </remarks>
internal sealed class ProposalBudget : IDisposable
{
    private const int UnitBytes = 1024;
    private readonly ConcurrencyLimiter limiter;
    private readonly int permits;

    public ProposalBudget(int budgetBytes)
    {
        permits = Math.Max(1, budgetBytes / UnitBytes);
        limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = permits,
            QueueLimit = permits * 64,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>Waits until <paramref name="bytes"/> fit in the budget; dispose the lease once the command is applied or failed.</summary>
    public async ValueTask<RateLimitLease> AcquireAsync(int bytes, CancellationToken token)
    {
        var wanted = Math.Clamp((bytes + UnitBytes - 1) / UnitBytes, 1, permits);
        var lease = await limiter.AcquireAsync(wanted, token).ConfigureAwait(false);
        if (lease.IsAcquired)
            return lease;
        lease.Dispose();
        throw new ProposalBacklogFullException($"The leader has more than {64 * permits / 1024} MiB of writes waiting to be replicated; retry shortly.");
    }

    public void Dispose() => limiter.Dispose();
}
