namespace GlobalZone.Consensus;

/// <summary>
/// Decides when a member being added has stopped catching up. DotNext's catch-up gives up after a fixed number of
/// replication rounds (<c>warmupRounds</c>), which a busy group or a large snapshot outlasts; GlobalZone repeats it
/// while the newcomer moves: its applied index or the bytes of the snapshot it is fetching grow, or the leader is
/// still writing the snapshot file. Only a newcomer that stands still for <see cref="StallLimit"/> is given up on.
/// </summary>
public sealed class CatchUpProgress(TimeProvider time, TimeSpan stallLimit)
{
    private long lastApplied = -1;
    private long lastReceived = -1;
    private long lastMove = time.GetTimestamp();

    public TimeSpan StallLimit => stallLimit;

    /// <summary>Time since the newcomer last moved.</summary>
    public TimeSpan SinceLastMove => time.GetElapsedTime(lastMove);

    /// <summary>
    /// Records one observation (null fields: the newcomer did not answer) and says whether it has stalled.
    /// </summary>
    public bool Observe(long? appliedIndex, long? snapshotBytesReceived, bool leaderWritingSnapshot)
    {
        var moved = leaderWritingSnapshot
            || (appliedIndex is { } applied && applied > lastApplied)
            || (snapshotBytesReceived is { } received && received > lastReceived);
        if (appliedIndex is { } a)
            lastApplied = Math.Max(lastApplied, a);
        if (snapshotBytesReceived is { } r)
            lastReceived = r; // a new transfer starts again from 0
        if (moved)
            lastMove = time.GetTimestamp();
        return time.GetElapsedTime(lastMove) > stallLimit;
    }
}
