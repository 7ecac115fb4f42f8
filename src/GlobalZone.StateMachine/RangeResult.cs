namespace GlobalZone.StateMachine;

/// <summary>A page of keys under a prefix, read at one revision.</summary>
public sealed record RangeResult(IReadOnlyList<KeyRecord> Records, bool More, long Revision);
