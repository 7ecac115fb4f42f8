using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.StateMachine.Commands;

namespace GlobalZone.Server.Capacity;

/// <summary>
/// Caps checked before a command is proposed, for a quick answer without a trip through the log, and stamped into
/// the command so that apply enforces the cluster-wide ones deterministically (the check here reads this member's
/// state, which may lag; apply is the authority).
/// </summary>
internal sealed class ProposalQuotas(NodeOptions options, GlobalZoneCluster cluster, TimeProvider? time = null)
{
    private readonly ResourceLimits limits = options.Limits;
    private readonly TimeProvider clock = time ?? TimeProvider.System;

    /// <summary>The grant with the lease cap stamped in.</summary>
    /// <exception cref="CapacityExceededException">The cluster already holds as many leases as it may.</exception>
    public LeaseGrantCommand Admit(LeaseGrantCommand grant)
    {
        if (limits.MaxLeases > 0 && cluster.State.LeaseCount >= limits.MaxLeases)
        {
            throw Quota(ProblemTypes.TooManyLeases, "The cluster holds as many leases as it may.",
                $"The cluster holds {cluster.State.LeaseCount} leases, its cap (GlobalZone:Limits:MaxLeases = {limits.MaxLeases}); revoke unused leases or retry later.");
        }

        return grant with { MaxLeases = limits.MaxLeases };
    }

    /// <summary>The acquisition with the waiter caps stamped in.</summary>
    /// <exception cref="CapacityExceededException">The request would queue one waiter too many.</exception>
    public LockAcquireCommand Admit(LockAcquireCommand acquire)
    {
        // Any kind: a reader-writer lock or a semaphore lists its grants in Holders rather than Holder.
        if (acquire.Wait && cluster.State.GetLock(acquire.Name) is { AllHolders.Count: > 0 } current && current.HolderOf(acquire.Lease) is null
            && current.Waiters.All(w => w.Lease != acquire.Lease))
        {
            if (limits.MaxLockWaitersPerLock > 0 && current.Waiters.Count >= limits.MaxLockWaitersPerLock)
            {
                throw Quota(ProblemTypes.TooManyLockWaiters, "The lock has as many waiters as it may.",
                    $"Lock '{acquire.Name}' already has {current.Waiters.Count} waiters (GlobalZone:Limits:MaxLockWaitersPerLock = {limits.MaxLockWaitersPerLock}); retry later.");
            }

            if (limits.MaxLockWaiters > 0 && cluster.State.LockWaiterCount >= limits.MaxLockWaiters)
            {
                throw Quota(ProblemTypes.TooManyLockWaiters, "The cluster's locks have as many waiters as they may.",
                    $"The cluster's locks have {cluster.State.LockWaiterCount} waiters (GlobalZone:Limits:MaxLockWaiters = {limits.MaxLockWaiters}); retry later.");
            }
        }

        return acquire with { MaxWaitersPerLock = limits.MaxLockWaitersPerLock, MaxWaitersTotal = limits.MaxLockWaiters };
    }

    /// <summary>
    /// Every member indexes every remembered idempotent outcome in memory until the window forgets it; past the cap
    /// this member takes no new idempotent writes. A retry of one it remembers still gets its answer: that is the
    /// point of the record, and it adds none.
    /// </summary>
    /// <exception cref="CapacityExceededException">As many outcomes are remembered as this member may hold.</exception>
    public void CheckIdempotencyKey(string idempotencyKey)
    {
        if (limits.MaxIdempotencyRecords == 0)
            return;
        var count = cluster.State.IdempotencyRecordCount;
        if (count < limits.MaxIdempotencyRecords || cluster.State.RemembersIdempotencyKey(idempotencyKey))
            return;
        // Room comes back when the oldest record leaves the window.
        var retryAfter = limits.RetryAfterSeconds;
        if (cluster.State.OldestIdempotencyRecordMs is { } oldestMs)
        {
            var leaves = DateTimeOffset.FromUnixTimeMilliseconds(oldestMs) + TimeSpan.FromSeconds(options.IdempotencyWindowSeconds) - clock.GetUtcNow();
            retryAfter = (int)Math.Clamp(Math.Ceiling(leaves.TotalSeconds), 1, 3600);
        }

        throw new CapacityExceededException(StatusCodes.Status503ServiceUnavailable, ProblemTypes.TooManyIdempotencyRecords,
            "This member remembers as many idempotent writes as it may.",
            $"{count} idempotent outcomes are remembered (GlobalZone:Limits:MaxIdempotencyRecords = {limits.MaxIdempotencyRecords}) within the "
            + $"{options.IdempotencyWindowSeconds} s window; retry later, or send this write without an Idempotency-Key.",
            retryAfter);
    }

    private CapacityExceededException Quota(string type, string title, string detail)
        => new(StatusCodes.Status429TooManyRequests, type, title, detail, limits.RetryAfterSeconds);
}
