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
    /// Maps <c>/internal/v1/testing/failpoints</c> (see <see cref="PeerFailpoints"/>), through which a test makes this
    /// member hold back the commit index it sends a named member, or drop everything it sends that member, at run time.
    /// Off: the route answers 404 and no request is touched.
    /// </summary>
    public bool EnablePeerFailpoints { get; init; }

    /// <summary>
    /// The Raft log acknowledges appended entries before they are durable: it keeps an appended entry in memory only and
    /// writes it once it learns the entry is committed, as DotNext 6.12's WAL did, so a member killed (kill -9) before
    /// it hears of the commit reopens without entries it acknowledged. Exists so the durability tests can show they
    /// catch exactly that loss.
    /// </summary>
    public bool AcknowledgeBeforePersisting { get; init; }

    /// <summary>
    /// Milliseconds between storing a new Raft membership and passing it on to DotNext, as a slow disk flush inside
    /// the save would take: long enough for the leader to abandon the call that carried it (see
    /// <see cref="MembershipChangeNotifier"/>). 0: off.
    /// </summary>
    public int MembershipNotifyDelayMs { get; init; }

    /// <summary>
    /// Milliseconds a member that received a stop signal stays up, refusing client requests as a stopping member does,
    /// before it hands over and stops: long enough for a test to see how it answers meanwhile. 0: off.
    /// </summary>
    public int StopDelayMs { get; init; }

    /// <summary>
    /// A stopping member keeps serving client requests until it is gone, as before 503 <c>member-stopping</c> existed,
    /// so the drain test can show it catches exactly that.
    /// </summary>
    public bool ServeWhileStopping { get; init; }

    public bool AnySet => ApplyDelayMs != 0 || FailStorageWritesContaining is not null || EnablePeerFailpoints || AcknowledgeBeforePersisting || MembershipNotifyDelayMs != 0
                          || StopDelayMs != 0 || ServeWhileStopping;

    /// <summary>The switches that are set, as <c>name=value</c> (for the warning a member logs at start).</summary>
    public IEnumerable<string> SetSwitches()
    {
        if (ApplyDelayMs != 0)
            yield return $"ApplyDelayMs={ApplyDelayMs}";
        if (FailStorageWritesContaining is not null)
            yield return $"FailStorageWritesContaining={FailStorageWritesContaining}";
        if (EnablePeerFailpoints)
            yield return "EnablePeerFailpoints=true";
        if (AcknowledgeBeforePersisting)
            yield return "AcknowledgeBeforePersisting=true";
        if (MembershipNotifyDelayMs != 0)
            yield return $"MembershipNotifyDelayMs={MembershipNotifyDelayMs}";
        if (StopDelayMs != 0)
            yield return $"StopDelayMs={StopDelayMs}";
        if (ServeWhileStopping)
            yield return "ServeWhileStopping=true";
    }

    public void Validate()
    {
        if (ApplyDelayMs is < 0 or > 60_000)
            throw new ArgumentException("GlobalZone:Testing:ApplyDelayMs must be from 0 to 60000.");
        if (MembershipNotifyDelayMs is < 0 or > 60_000)
            throw new ArgumentException("GlobalZone:Testing:MembershipNotifyDelayMs must be from 0 to 60000.");
        if (StopDelayMs is < 0 or > 60_000)
            throw new ArgumentException("GlobalZone:Testing:StopDelayMs must be from 0 to 60000.");
    }
}
