namespace GlobalZone.StateMachine.Commands;

/// <summary>
/// Forgets remembered results of idempotent writes recorded (in leader time) before <paramref name="HorizonMs"/>.
/// The leader proposes it, so the window is a fact of the log, not of each member's configuration.
/// </summary>
public sealed record IdempotencyCompactCommand(long HorizonMs) : Command
{
    public override CommandKind Kind => CommandKind.IdempotencyCompact;
}
