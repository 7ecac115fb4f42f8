namespace GlobalZone.Consensus;

/// <summary>
/// Fault switches for tests (<c>GlobalZone:Testing:*</c>), so tests can prove a failure path is handled by causing it
/// for real in one member. TEST-ONLY: they make a member deliberately worse, and a member logs a warning at start when
/// any is set. Never set them in production.
/// </summary>
public sealed record TestingOptions
{
    /// <summary>
    /// Milliseconds this member sleeps before applying each committed command, so its applied state lags the
    /// leader's commits (as a slow checkpoint, replay or stuck apply would). 0: off.
    /// </summary>
    public int ApplyDelayMs { get; init; }

    /// <summary>Every store write of a storage key containing this text fails as an I/O error would (null: none).</summary>
    public string? FailStorageWritesContaining { get; init; }

    /// <summary>
    /// The Raft log counts and acknowledges entries before they are on disk, as DotNext's WAL did: a crash can then lose
    /// an acknowledged write. Exists so the durability test can show it catches exactly that.
    /// </summary>
    public bool AcknowledgeBeforePersisting { get; init; }

    /// <summary>
    /// Milliseconds between storing a new Raft membership and passing it on to DotNext, as a slow disk flush inside
    /// the save would take: long enough for the leader to abandon the call that carried it (see
    /// <see cref="MembershipChangeNotifier"/>). 0: off.
    /// </summary>
    public int MembershipNotifyDelayMs { get; init; }

    public bool AnySet => ApplyDelayMs != 0 || FailStorageWritesContaining is not null || AcknowledgeBeforePersisting || MembershipNotifyDelayMs != 0;

    public void Validate()
    {
        if (ApplyDelayMs is < 0 or > 60_000)
            throw new ArgumentException("GlobalZone:Testing:ApplyDelayMs must be from 0 to 60000.");
        if (MembershipNotifyDelayMs is < 0 or > 60_000)
            throw new ArgumentException("GlobalZone:Testing:MembershipNotifyDelayMs must be from 0 to 60000.");
    }
}
