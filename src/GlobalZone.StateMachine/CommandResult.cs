using GlobalZone.StateMachine.Commands;

namespace GlobalZone.StateMachine;

/// <summary>Whether a command was applied (whatever its compares said) or refused as malformed.</summary>
public enum CommandStatus : byte
{
    Applied = 1,
    Rejected = 2,
}

/// <summary>What one operation of a transaction did.</summary>
public sealed record OperationResult(TxnOperationKind Kind, long Deleted = 0, KeyRecord? Previous = null, IReadOnlyList<KeyRecord>? Records = null);

/// <summary>
/// The outcome of applying one command. Every member computes the same one for the same log entry.
/// </summary>
public sealed record CommandResult(CommandStatus Status, long Revision, bool Succeeded, IReadOnlyList<OperationResult> Operations, string? Error = null)
{
    public static CommandResult Rejected(long revision, string error) => new(CommandStatus.Rejected, revision, false, [], error);
}
