namespace GlobalZone.StateMachine;

/// <summary>Where a dump of the state stands: the last Raft index and term folded into it, and the revision.</summary>
public readonly record struct StateLabel(long Index, long Term, long Revision);
