using GlobalZone.StateMachine.Commands;

namespace GlobalZone.StateMachine;

/// <summary>
/// How a command ended. Every status but <see cref="Applied"/> means the state was left as it was. These are
/// normal, recorded outcomes of applying an entry (they depend on the state at that point of the log), never
/// exceptions.
/// </summary>
public enum CommandStatus : byte
{
    /// <summary>Applied (for a transaction: whichever branch its compares chose).</summary>
    Applied = 1,

    /// <summary>Malformed or invalid in itself.</summary>
    Rejected = 2,

    /// <summary>A fenced write whose fencing token is not the current grant of a held lock.</summary>
    Fenced = 3,

    /// <summary>A lease or lock the command names does not exist.</summary>
    NotFound = 4,

    /// <summary>The command contradicts the state: lock held by another, lease id taken.</summary>
    Conflict = 5,

    /// <summary>The Idempotency-Key was first used for a different request.</summary>
    IdempotencyKeyReused = 6,

    /// <summary>
    /// A cluster-wide cap the proposer put in the command (leases, lock waiters) was reached; nothing changed.
    /// </summary>
    LimitReached = 7,

    /// <summary>
    /// An idempotent retry whose first outcome (a lock grant, a lease renewal) is no longer true; never stored,
    /// only answered in place of the stale first outcome.
    /// </summary>
    Superseded = 8,
}

/// <summary>What one operation of a transaction did.</summary>
public sealed record OperationResult(TxnOperationKind Kind, long Deleted = 0, KeyRecord? Previous = null, IReadOnlyList<KeyRecord>? Records = null);

/// <summary>
/// The outcome of applying one command. Every member computes the same one for the same log entry.
/// </summary>
/// <param name="Lease">For lease commands: the lease after the command (before it, for a revoke).</param>
/// <param name="Lock">For lock commands and refused fenced writes: the lock after the command.</param>
/// <param name="Replayed">The command carried an Idempotency-Key seen before: this is the first outcome, repeated.</param>
public sealed record CommandResult(
    CommandStatus Status,
    long Revision,
    bool Succeeded,
    IReadOnlyList<OperationResult> Operations,
    string? Error = null,
    LeaseRecord? Lease = null,
    LockRecord? Lock = null,
    bool Replayed = false)
{
    public static CommandResult Rejected(long revision, string error) => new(CommandStatus.Rejected, revision, false, [], error);

    public static CommandResult Failed(CommandStatus status, long revision, string error, LeaseRecord? lease = null, LockRecord? lockRecord = null)
        => new(status, revision, false, [], error, lease, lockRecord);
}
