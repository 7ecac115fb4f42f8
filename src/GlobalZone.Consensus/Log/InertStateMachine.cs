using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace GlobalZone.Consensus.Log;

/// <summary>
/// What the base <c>WriteAheadLog</c> of <see cref="FasterRaftLog"/> is given: that base only exists for DotNext's
/// internal setter and never receives an entry, so its state machine never does anything.
/// </summary>
internal sealed class InertStateMachine : IStateMachine
{
    ISnapshot? ISnapshotManager.Snapshot => null;

    ValueTask<long> IStateMachine.ApplyAsync(LogEntry entry, CancellationToken token) => ValueTask.FromResult(entry.Index);

    ValueTask ISnapshotManager.ReclaimGarbageAsync(long watermark, CancellationToken token) => ValueTask.CompletedTask;
}
