namespace GlobalZone.Client;

/// <summary>How fresh a read must be.</summary>
public enum ReadConsistency
{
    /// <summary>
    /// Sees every write acknowledged before the read began, whichever member answers (the member confirms a read
    /// index with the leader first). The default.
    /// </summary>
    Linearizable,

    /// <summary>
    /// The answering member's state as it is, without asking the leader: fast, possibly behind. Bound how far behind
    /// with <see cref="ReadOptions.MaxStaleness"/>.
    /// </summary>
    Stale,
}
