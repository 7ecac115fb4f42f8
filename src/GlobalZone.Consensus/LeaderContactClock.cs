using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Replication;

namespace GlobalZone.Consensus;

/// <summary>
/// How long ago this member last heard from the leader, for stale reads: they say how old their answer may be,
/// and can refuse when it is older than the client allows.
/// </summary>
/// <remarks>
/// A follower hears from the leader through empty heartbeats (DotNext's ReplicationCompleted) and through entries it
/// applies (it applies only what the leader said is committed). A leader holding a valid leader lease is current.
/// </remarks>
public sealed class LeaderContactClock
{
    private long lastContactMs = long.MinValue;
    private IRaftCluster? raft;

    public LeaderContactClock(RaftStateMachine stateMachine) => stateMachine.EntryApplied += Touch;

    internal void Attach(IRaftCluster cluster)
    {
        raft = cluster;
        ((IReplicationCluster)cluster).ReplicationCompleted += OnReplicationCompleted;
    }

    internal void Detach(IRaftCluster cluster) => ((IReplicationCluster)cluster).ReplicationCompleted -= OnReplicationCompleted;

    /// <summary>
    /// Zero on a leader with a valid lease; the time since the last contact on a follower; null when unknown (no
    /// contact yet, or a leader without a lease).
    /// </summary>
    public TimeSpan? SinceLastContact
    {
        get
        {
            if (raft is { Leader.IsRemote: false } leader)
                return leader.TryGetLeaseToken(out var lease) && !lease.IsCancellationRequested ? TimeSpan.Zero : null;
            var last = Volatile.Read(ref lastContactMs);
            return last == long.MinValue ? null : TimeSpan.FromMilliseconds(Math.Max(0, Environment.TickCount64 - last));
        }
    }

    private void OnReplicationCompleted(IReplicationCluster cluster, DotNext.Net.Cluster.IClusterMember leader) => Touch();

    private void Touch() => Volatile.Write(ref lastContactMs, Environment.TickCount64);
}
