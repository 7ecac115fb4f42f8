namespace GlobalZone.StateMachine.Commands;

/// <summary>
/// Asks for a lock on behalf of a lease. Free: granted with a new fencing token. Held by the same lease: the
/// current grant is returned. Held by another: queued first-in first-out when <paramref name="Wait"/>, refused
/// otherwise.
/// </summary>
public sealed record LockAcquireCommand(string Name, long Lease, string Owner, bool Wait) : Command
{
    public override CommandKind Kind => CommandKind.LockAcquire;

    /// <summary>Most waiters one lock may queue (0 = no cap); from the proposer's configuration, carried in the entry.</summary>
    public int MaxWaitersPerLock { get; init; }

    /// <summary>Most waiters all locks together may queue (0 = no cap); from the proposer's configuration.</summary>
    public long MaxWaitersTotal { get; init; }

    /// <summary>
    /// How the lease asks: <see cref="LockMode.Exclusive"/> for a lock, read or write for a reader-writer lock, a
    /// permit of a semaphore of <see cref="Limit"/>. A name already held or awaited as another kind is refused.
    /// </summary>
    public LockMode Mode { get; init; }

    /// <summary>For a semaphore: how many leases may hold it at once (1 or more); 0 otherwise.</summary>
    public int Limit { get; init; }

    public override Command WithoutCaps() => this with { MaxWaitersPerLock = 0, MaxWaitersTotal = 0 };
}

/// <summary>
/// Releases a lock held by <paramref name="Lease"/> and/or with the grant <paramref name="FencingToken"/> (0 = not
/// given; at least one is), handing it to the next waiter. A lease that is only waiting leaves the queue instead.
/// With <paramref name="OnlyIfWaiting"/> (a waiter giving up) a lease that was granted meanwhile keeps the lock:
/// the result then reports the grant instead of releasing it.
/// </summary>
public sealed record LockReleaseCommand(string Name, long Lease, long FencingToken, bool OnlyIfWaiting = false) : Command
{
    public override CommandKind Kind => CommandKind.LockRelease;
}
