namespace GlobalZone.Consensus;

/// <summary>When a member that forwarded a command to the leader must itself have applied it.</summary>
public enum LocalApply
{
    /// <summary>Before answering: the caller reads local state right after (locks, leases).</summary>
    BeforeAnswer,

    /// <summary>
    /// Before the member's next stale read: the caller answers from the command's result alone (key writes,
    /// transactions). Linearizable reads wait for the leader's commit index anyway.
    /// </summary>
    BeforeLocalReads,
}
