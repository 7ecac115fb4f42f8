namespace GlobalZone.StateMachine.Commands;

/// <summary>
/// Creates a lease of <paramref name="TtlMs"/>. <paramref name="RequestedId"/> 0 lets the state machine pick the
/// next free id; a client-chosen id that already exists is a conflict.
/// </summary>
public sealed record LeaseGrantCommand(long RequestedId, long TtlMs) : Command
{
    public override CommandKind Kind => CommandKind.LeaseGrant;

    /// <summary>
    /// Most leases the cluster may hold, from the proposing member's configuration (0 = no cap, as in entries
    /// written before caps existed). Carried in the entry so that every member refuses the same grants.
    /// </summary>
    public long MaxLeases { get; init; }

    public override Command WithoutCaps() => this with { MaxLeases = 0 };
}

/// <summary>
/// Renews a lease. Keep-alives go through the log so that every member (and so every future leader) learns of
/// each renewal and starts its own countdown from the moment it applied it: a new leader never counts from an
/// older renewal than the holder was acknowledged, and never forgets one.
/// </summary>
public sealed record LeaseKeepAliveCommand(long Id) : Command
{
    public override CommandKind Kind => CommandKind.LeaseKeepAlive;
}

/// <summary>Ends a lease at the holder's request: attached keys are deleted, locks it holds are released.</summary>
public sealed record LeaseRevokeCommand(long Id) : Command
{
    public override CommandKind Kind => CommandKind.LeaseRevoke;
}

/// <summary>One lease the leader found expired, with the renewal its countdown started from.</summary>
public sealed record LeaseExpiry(long Id, long RenewIndex);

/// <summary>
/// The leader's decision that leases ran out on its monotonic clock. A lease is ended only if it was not renewed
/// after the renewal the leader counted from (<see cref="LeaseExpiry.RenewIndex"/>), so a keep-alive that
/// commits while this command is in flight wins.
/// </summary>
public sealed record LeaseExpireCommand(IReadOnlyList<LeaseExpiry> Leases) : Command
{
    public override CommandKind Kind => CommandKind.LeaseExpire;
}
