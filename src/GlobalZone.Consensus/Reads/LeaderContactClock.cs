using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Replication;

namespace GlobalZone.Consensus;

/// <summary>
/// How old this member's data may be, for stale reads: they say it, and refuse when it is older than the client
/// allows (<c>maxStaleness</c>).
/// </summary>
/// <remarks>
/// <para>
/// Hearing from the leader is not enough: a member that hears heartbeats but applies slowly (a long checkpoint, a
/// replay, a stuck apply) serves old data while its contact looks fresh. So the clock pairs each contact with the
/// commit index the leader had told this member by then, and counts the data as fresh as of a contact only once
/// this member has applied everything up to that index: data age = now − the latest such contact.
/// </para>
/// <para>
/// Contacts: DotNext's ReplicationCompleted fires on a follower for an empty AppendEntries once its log matches the
/// leader's (the commit index is then exactly the leader's). Under steady writes every AppendEntries carries entries
/// and that event never fires, so a sampler also watches the commit index: when it grew since the previous sample,
/// the leader spoke in between, and the contact is dated at the previous sample (the earlier end: the data is never
/// claimed fresher than it is). A leader holding a valid leader lease is its own contact.
/// </para>
/// </remarks>
public sealed class LeaderContactClock
{
    // Bounds the memory a member with a stuck apply spends on contacts it cannot credit yet; merging the newest two
    // only makes the age claimed larger (safe), never smaller.
    private const int MaxPending = 4096;
    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(20);

    private readonly RaftStateMachine stateMachine;
    private readonly TimeProvider time;
    private readonly Lock sync = new();
    private readonly LinkedList<(long CommitIndex, long AtTicks)> pending = new();
    private long lastContactTicks = long.MinValue;
    private long freshAsOfTicks = long.MinValue;
    private long sampledCommit;
    private long lastSampleTicks;
    private ITimer? sampler;
    private IRaftCluster? raft;

    public LeaderContactClock(RaftStateMachine stateMachine, TimeProvider? time = null)
    {
        this.stateMachine = stateMachine;
        this.time = time ?? TimeProvider.System;
        stateMachine.EntryApplied += OnEntryApplied;
    }

    internal void Attach(IRaftCluster cluster)
    {
        raft = cluster;
        lock (sync)
        {
            // What was committed before a restart was learned long ago: only growth from here counts as contact.
            sampledCommit = cluster.AuditTrail.LastCommittedEntryIndex;
            lastSampleTicks = time.GetTimestamp();
        }

        ((IReplicationCluster)cluster).ReplicationCompleted += OnReplicationCompleted;
        sampler = time.CreateTimer(_ => Sample(), null, SampleInterval, SampleInterval);
    }

    internal void Detach(IRaftCluster cluster)
    {
        ((IReplicationCluster)cluster).ReplicationCompleted -= OnReplicationCompleted;
        sampler?.Dispose();
    }

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
            var last = Volatile.Read(ref lastContactTicks);
            return last == long.MinValue ? null : time.GetElapsedTime(last);
        }
    }

    /// <summary>
    /// How old the data this member serves may be: the time since the latest leader contact whose commit index this
    /// member has applied. Null when no such contact is known yet.
    /// </summary>
    public TimeSpan? DataAge
    {
        get
        {
            lock (sync)
            {
                Drain(stateMachine.State.AppliedIndex);
                return freshAsOfTicks == long.MinValue ? null : time.GetElapsedTime(freshAsOfTicks);
            }
        }
    }

    /// <summary>
    /// Waits, at most until the bound would be broken anyway, for this member to apply what the leader had committed
    /// at a contact recent enough to serve within <paramref name="limit"/>. True when the data age is then within it.
    /// </summary>
    public async Task<bool> WaitFreshAsync(TimeSpan limit, CancellationToken token)
    {
        if (DataAge is { } age && age <= limit)
            return true;
        long target;
        TimeSpan left;
        lock (sync)
        {
            var now = time.GetTimestamp();
            var candidate = pending.FirstOrDefault(p => time.GetElapsedTime(p.AtTicks, now) < limit);
            if (candidate.AtTicks == 0 || raft is null)
                return false;
            target = candidate.CommitIndex;
            left = limit - time.GetElapsedTime(candidate.AtTicks, now);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(left);
        try
        {
            await raft.AuditTrail.WaitForApplyAsync(target, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return false;
        }

        return DataAge is { } after && after <= limit;
    }

    private void OnReplicationCompleted(IReplicationCluster cluster, DotNext.Net.Cluster.IClusterMember leader)
    {
        if (raft is { } r)
            Contact(r.AuditTrail.LastCommittedEntryIndex, time.GetTimestamp());
    }

    private void OnEntryApplied()
    {
        lock (sync)
            Drain(stateMachine.State.AppliedIndex);
    }

    private void Sample()
    {
        if (raft is not { } r)
            return;
        var now = time.GetTimestamp();
        var commit = r.AuditTrail.LastCommittedEntryIndex;
        long previousSample;
        bool grew;
        lock (sync)
        {
            previousSample = lastSampleTicks;
            grew = commit > sampledCommit;
            sampledCommit = Math.Max(sampledCommit, commit);
            lastSampleTicks = now;
        }

        if (r.Leader is { IsRemote: false })
        {
            // The leader knows its own commit index now, as long as it is surely still the leader.
            if (r.TryGetLeaseToken(out var lease) && !lease.IsCancellationRequested)
                Contact(commit, now);
        }
        else if (grew && r.Leader is not null)
        {
            // The leader spoke between the two samples: date it at the earlier one.
            Contact(commit, previousSample);
        }
    }

    private void Contact(long commitIndex, long atTicks)
    {
        lock (sync)
        {
            if (lastContactTicks == long.MinValue || atTicks > lastContactTicks)
                Volatile.Write(ref lastContactTicks, atTicks);
            if (pending.Last is { } last && commitIndex <= last.Value.CommitIndex)
            {
                // Once the larger index is applied, this later contact's data is covered too.
                last.Value = (last.Value.CommitIndex, Math.Max(last.Value.AtTicks, atTicks));
            }
            else if (pending.Count >= MaxPending)
            {
                pending.Last!.Value = (commitIndex, Math.Max(pending.Last.Value.AtTicks, atTicks));
            }
            else
            {
                pending.AddLast((commitIndex, atTicks));
            }

            Drain(stateMachine.State.AppliedIndex);
        }
    }

    private void Drain(long appliedIndex)
    {
        while (pending.First is { } first && first.Value.CommitIndex <= appliedIndex)
        {
            if (freshAsOfTicks == long.MinValue || first.Value.AtTicks > freshAsOfTicks)
                freshAsOfTicks = first.Value.AtTicks;
            pending.RemoveFirst();
        }
    }
}
