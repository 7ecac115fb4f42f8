namespace GlobalZone.StateMachine.Commands;

/// <summary>Tags of the commands in the replicated log. Values are part of the log format: never reuse one.</summary>
public enum CommandKind : byte
{
    Txn = 1,
    LeaseGrant = 2,
    LeaseKeepAlive = 3,
    LeaseRevoke = 4,
    LeaseExpire = 5,
    LockAcquire = 6,
    LockRelease = 7,
    IdempotencyCompact = 8,
    MemberDescribe = 9,
    Auth = 10,
}

/// <summary>
/// A command as the leader proposes it. <see cref="LeaderTimeMs"/> is the proposing leader's wall clock,
/// carried in the entry so that anything time-based in apply (idempotency windows, lease bookkeeping)
/// is a pure function of the log.
/// </summary>
public abstract record Command
{
    public abstract CommandKind Kind { get; }

    /// <summary>Unix milliseconds on the proposing leader.</summary>
    public long LeaderTimeMs { get; init; }

    /// <summary>Client-chosen key making the command apply at most once, or null.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>
    /// The command without the caps its proposer stamped in (they come from that member's configuration), so a
    /// retry through a member configured differently is still recognised as the same request.
    /// </summary>
    public virtual Command WithoutCaps() => this;
}
