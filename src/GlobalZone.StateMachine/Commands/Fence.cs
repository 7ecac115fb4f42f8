namespace GlobalZone.StateMachine.Commands;

/// <summary>
/// A fenced write's guard: the transaction applies only while <paramref name="FencingToken"/> is the current grant
/// of the still-held lock <paramref name="Lock"/>; otherwise nothing at all is done (not even the failure branch).
/// </summary>
public sealed record Fence(string Lock, long FencingToken);
