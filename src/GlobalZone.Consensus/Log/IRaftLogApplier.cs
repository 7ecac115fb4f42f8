using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace GlobalZone.Consensus.Log;

/// <summary>A committed entry as the log hands it to the state machine.</summary>
public readonly record struct CommittedEntry(long Index, long Term, bool IsConfiguration, ReadOnlyMemory<byte> Payload, object? Context);

/// <summary>What the Raft log needs of the state it feeds (the one implementation is <see cref="RaftStateMachine"/>).</summary>
public interface IRaftLogApplier
{
    /// <summary>Index the state reflects when the member starts (its checkpoint).</summary>
    long AppliedIndex { get; }

    /// <summary>Term of the entry at <see cref="AppliedIndex"/>'s checkpoint (0 when nothing was ever applied).</summary>
    long CheckpointTerm { get; }

    /// <summary>The snapshot the leader sends a member that needs entries it no longer keeps; null when none.</summary>
    ISnapshot? Snapshot { get; }

    /// <summary>Applies one committed entry. Throws only when local storage failed (see RaftStateMachine).</summary>
    ValueTask ApplyAsync(CommittedEntry entry, CancellationToken token);

    /// <summary>
    /// DotNext's InstallSnapshot, inline in the RPC: returns the index the state now reflects, or throws to tell the
    /// leader "not yet" (it retries).
    /// </summary>
    ValueTask<long> InstallSnapshotAsync(IRaftLogEntry snapshot, long index, CancellationToken token);
}
