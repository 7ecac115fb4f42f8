using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using GlobalZone.Consensus.Log;
using GlobalZone.Consensus.Snapshots;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>
/// DotNext's view of the key/value state: applies committed entries, installs snapshots from the leader,
/// and checkpoints FASTER often enough that the Raft log keeps only a short tail.
/// </summary>
/// <remarks>
/// <para>
/// Never throws for a committed command (DotNext stops the applier for good on an exception): commands that do
/// not decode are recorded as rejected. Only an I/O failure of the local disk escapes, which no retry can mend.
/// </para>
/// <para>
/// Snapshots travel out of band. What DotNext 6.12 does with a snapshot entry (read in its RaftCluster): the
/// follower's <c>RaftCluster.InstallSnapshotAsync</c> refuses any index at or below its commit index, then calls the
/// log's <c>AppendAsync(snapshot, index)</c> <b>inline, inside the RPC</b>, holding the member's Raft transition lock
/// (no other Raft call is answered meanwhile); the log (<see cref="Log.FasterRaftLog"/>) calls this class's install
/// under its append lock. If that throws, only that RPC fails. If it takes long, the leader gives up after its RPC
/// timeout while the member goes on (a later call for the same index is answered by
/// <see cref="Log.RepeatedSnapshotAcknowledgement"/>). On success the log takes the returned index as its new commit
/// index and snapshot base, so that must be the installed index.
/// </para>
/// <para>
/// Hence: DotNext carries a small <see cref="SnapshotDescriptor"/>; the install answers within a fraction of the RPC
/// timeout, throwing <see cref="SnapshotPendingException"/> (a failed RPC the leader retries at its next
/// heartbeat) until a background download, checksum check and install (<see cref="SnapshotReceiver"/>) has
/// made the state reflect the descriptor's index; the next call then returns at once.
/// </para>
/// </remarks>
public sealed partial class RaftStateMachine : IRaftLogApplier
{
    private readonly KeyValueStateMachine state;
    private readonly ILogger<RaftStateMachine> logger;
    private readonly int snapshotEveryEntries;
    private readonly int testingApplyDelayMs;
    private readonly ApplyHealth health;
    private readonly long checkpointEveryBytes;
    private long bytesSinceCheckpoint;
    private readonly TimeSpan installWait;
    private readonly SnapshotPublisher publisher;
    private readonly SnapshotReceiver receiver;

    // The background install and the applier both move the state; one at a time.
    private readonly SemaphoreSlim applyLock = new(1, 1);
    private volatile Exception? installFailure;

    public RaftStateMachine(KeyValueStateMachine state, NodeOptions options, ApplyHealth health, ILogger<RaftStateMachine> logger, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        this.state = state;
        this.health = health;
        this.logger = logger;
        state.CommandRefused += (index, error) => LogCommandRefused(error, index);
        snapshotEveryEntries = options.SnapshotEveryEntries;
        testingApplyDelayMs = options.Testing.ApplyDelayMs;
        if (testingApplyDelayMs > 0)
            LogTestingApplyDelay(testingApplyDelayMs);
        checkpointEveryBytes = (long)options.CheckpointEveryMiB << 20;
        var snapshots = options.Layout.Snapshots;
        var files = new SnapshotFileStore(Path.Combine(snapshots, "outgoing"), state, logger, time, (long)options.SnapshotTransferMiBPerSecond << 20);
        publisher = new SnapshotPublisher(files, options.Self.Url, time, holdLimit: TimeSpan.FromSeconds(options.SnapshotTransferHoldSeconds));
        receiver = new SnapshotReceiver(Path.Combine(snapshots, "incoming"), logger, time)
        {
            Install = InstallFileAsync,
            InstallWhileArriving = InstallArrivingAsync,
            CanInstallWhileArriving = () => state.IsPristine,
        };
        // A fraction of the RPC timeout: the leader's call must come back (with "not yet") well before it gives up.
        installWait = TimeSpan.FromMilliseconds(Math.Max(20, options.Raft.EffectiveRpcTimeoutMs / 3));
        if (state.SnapshotIndex > 0)
            publisher.OnCheckpoint(state.SnapshotIndex, state.SnapshotTerm);
    }

    public KeyValueStateMachine State => state;

    /// <summary>The snapshot files this member serves.</summary>
    public SnapshotFileStore SnapshotFiles => publisher.Files;

    /// <summary>Which snapshot DotNext sees; a served file's reads count as demand.</summary>
    public SnapshotPublisher SnapshotPublisher => publisher;

    /// <summary>This member's side of incoming transfers.</summary>
    public SnapshotReceiver SnapshotReceiver => receiver;

    /// <summary>
    /// Takes a checkpoint at start, before the member joins, when the store did not open one (a new member): it keeps
    /// the snapshot index, and it compiles the checkpoint path ahead of the first snapshot install. A store recovered
    /// from a checkpoint already has one that says exactly this, so it is skipped: for a 1 GiB state it took 4 s of a
    /// restart (an index checkpoint and hashing the log tail again) to write down what was just read.
    /// </summary>
    /// <returns>True when a checkpoint was taken.</returns>
    public async Task<bool> WarmUpAsync(CancellationToken token)
    {
        if (state.OpenedFromCheckpoint)
            return false;
        await state.RecheckpointAsync(token).ConfigureAwait(false);
        return true;
    }

    /// <summary>Raised after each committed entry is applied (followers apply only what the leader said is committed).</summary>
    public event Action? EntryApplied;

    public ISnapshot? Snapshot => publisher.Current;

    long IRaftLogApplier.AppliedIndex => state.AppliedIndex;

    long IRaftLogApplier.CheckpointTerm => state.SnapshotTerm;

    ValueTask<long> IRaftLogApplier.InstallSnapshotAsync(IRaftLogEntry snapshot, long index, CancellationToken token) => InstallAsync(snapshot, index, token);

    async ValueTask IRaftLogApplier.ApplyAsync(CommittedEntry entry, CancellationToken token)
    {
        await applyLock.WaitAsync(token).ConfigureAwait(false);
        try
        {
            // A snapshot install that failed halfway left the state cleared: applying on top of it would diverge. Stop the
            // applier instead (the one case where that is right); a restart recovers the last good checkpoint.
            if (installFailure is { } failure)
                throw new InvalidOperationException("A snapshot install failed halfway; restart the member to recover its last checkpoint.", failure);
            if (entry.Index <= state.AppliedIndex)
                return;

            try
            {
                await ApplyCommittedAsync(entry, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
            {
                // Not the command's fault (those are recorded as rejected inside Apply): the local storage failed, and
                // part of the command may have reached it. Stop here for good. Throwing stops DotNext's applier, and its
                // log then refuses appends, so this member no longer acknowledges entries it cannot apply; ApplyHealth
                // keeps it from serving reads, reporting ready or leading, while the others go on.
                health.Report(entry.Index, e);
                LogApplyFault(e, entry.Index, entry.Term);
                throw;
            }

            EntryApplied?.Invoke();
            // By entries (fewer checkpoints for a larger state: each costs more), and by bytes: DotNext 6.12 sends a
            // member everything after the snapshot in one AppendEntries call, which must fit in one RPC timeout.
            if (entry.Index - state.SnapshotIndex >= Math.Max(snapshotEveryEntries, state.KeyCount) || bytesSinceCheckpoint >= checkpointEveryBytes)
                await CheckpointAsync(token).ConfigureAwait(false);
        }
        finally
        {
            applyLock.Release();
        }
    }

    private async Task ApplyCommittedAsync(CommittedEntry entry, CancellationToken token)
    {
        var payload = entry.Payload;
        if (entry.IsConfiguration || payload.IsEmpty)
        {
            state.MarkApplied(entry.Index, entry.Term);
            return;
        }

        // TEST-ONLY (GlobalZone:Testing:ApplyDelayMs): a member whose apply lags what the leader committed.
        if (testingApplyDelayMs > 0)
            await Task.Delay(testingApplyDelayMs, token).ConfigureAwait(false);
        bytesSinceCheckpoint += payload.Length;
        var command = CommandCodec.TryDecode(new System.Buffers.ReadOnlySequence<byte>(payload));
        if (command is null)
            LogRejectedEntry(entry.Index, entry.Term);
        var result = state.Apply(entry.Index, entry.Term, command);
        if (entry.Context is ProposalContext context)
        {
            context.Index = entry.Index;
            context.Result = result;
        }
    }

    private async Task CheckpointAsync(CancellationToken token)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await state.CheckpointAsync(token).ConfigureAwait(false);
        bytesSinceCheckpoint = 0;
        publisher.OnCheckpoint(state.SnapshotIndex, state.SnapshotTerm);
        ConsensusInstruments.CheckpointDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        LogCheckpoint(state.SnapshotIndex, state.Revision, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            state.LastCheckpointTimes.Faster.TotalMilliseconds, state.LastCheckpointTimes.Manifest.TotalMilliseconds);
    }

    /// <summary>DotNext's InstallSnapshot, inline in the RPC (see the remarks): answer within <see cref="installWait"/>.</summary>
    private async ValueTask<long> InstallAsync(IRaftLogEntry entry, long index, CancellationToken token)
    {
        SnapshotDescriptor descriptor;
        using (var bytes = new MemoryStream())
        {
            await entry.WriteToAsync(bytes, 4096, token).ConfigureAwait(false);
            if (bytes.Length > SnapshotDescriptor.MaxEncodedBytes)
                throw new InvalidDataException($"The snapshot sent as index {index} is {bytes.Length} bytes, not a descriptor (is the leader an older version?).");
            descriptor = SnapshotDescriptor.Decode(bytes.GetBuffer().AsSpan(0, (int)bytes.Length));
        }

        if (descriptor.Index != index)
            throw new InvalidDataException($"The snapshot descriptor names index {descriptor.Index}, but it was sent as index {index}.");
        if (IsInstalled(descriptor))
            return descriptor.Index;
        if (!descriptor.Fetchable)
            throw new SnapshotPendingException($"The leader is writing the snapshot file for index {descriptor.Index}.");
        if (await receiver.TryCompleteAsync(descriptor, installWait, token).ConfigureAwait(false) && IsInstalled(descriptor))
            return descriptor.Index;
        var (received, size, _, _) = receiver.Progress;
        throw new SnapshotPendingException($"Snapshot {descriptor.SnapshotId} is being fetched ({received} of {size} bytes).");
    }

    /// <summary>The state reflects the descriptor's index and DotNext will see it as the snapshot (its new commit index).</summary>
    private bool IsInstalled(SnapshotDescriptor descriptor)
        => state.AppliedIndex >= descriptor.Index && publisher.Current?.Index >= descriptor.Index;

    private async Task InstallFileAsync(string path, SnapshotDescriptor descriptor, CancellationToken token)
    {
        await using var source = SnapshotFile.OpenStateStream(path);
        await InstallUnderApplyLockAsync(descriptor, () => state.InstallSnapshotAsync(source, descriptor.Index, descriptor.Term, CancellationToken.None),
            rolledBackOnFailure: false, token).ConfigureAwait(false);
    }

    /// <summary>
    /// Installs a file while it arrives, into a state that is empty at index 0 (see
    /// <see cref="KeyValueStateMachine.InstallUnverifiedSnapshotAsync"/>): if the download or its check fails, what was
    /// loaded is removed and the member is as new again, so the next attempt may start over.
    /// </summary>
    private Task InstallArrivingAsync(Stream source, SnapshotDescriptor descriptor, Action verify, CancellationToken token)
        => InstallUnderApplyLockAsync(descriptor, () => state.InstallUnverifiedSnapshotAsync(source, descriptor.Index, descriptor.Term, verify, CancellationToken.None),
            rolledBackOnFailure: true, token);

    /// <summary>
    /// Runs an install with the applier held off, then publishes the snapshot. A failure leaves the state cleared
    /// halfway, so the applier must not go on (<see cref="installFailure"/>), unless the install rolled back to the
    /// empty state it started from (and did: not if the failure came after the state moved, at its closing checkpoint,
    /// or the rollback itself failed).
    /// </summary>
    private async Task InstallUnderApplyLockAsync(SnapshotDescriptor descriptor, Func<Task<long>> install, bool rolledBackOnFailure, CancellationToken token)
    {
        await applyLock.WaitAsync(token).ConfigureAwait(false);
        try
        {
            long reflected;
            try
            {
                reflected = await install().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                if (!rolledBackOnFailure || !state.IsPristine || state.KeyCount != 0)
                    installFailure = e;
                throw;
            }

            // Published only now, with a checkpoint labelled with the descriptor's index on disk: the Raft log is cut
            // up to what it sees, and a restart must find a checkpoint at least that far.
            publisher.OnInstalled(descriptor.Index, descriptor.Term);
            LogInstalled(descriptor.Index, reflected, state.Revision, state.LastInstallCheckpointTime.TotalMilliseconds,
                state.LastCheckpointTimes.Faster.TotalMilliseconds, state.LastCheckpointTimes.Manifest.TotalMilliseconds);
        }
        finally
        {
            applyLock.Release();
        }
    }

    [LoggerMessage(EventId = 1004, Level = LogLevel.Critical, Message = "Member cannot apply entry {Index} (term {Term}): the local storage failed. It stops applying, answers no reads, reports not ready (/readyz 503) and will not lead; the rest of the group goes on. Mend the disk and restart the member: it recovers from its last checkpoint and replays the log")]
    private partial void LogApplyFault(Exception error, long index, long term);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "Command at index {Index} could not be applied and was recorded as rejected with nothing written (a defect to report; every member does the same)")]
    private partial void LogCommandRefused(Exception error, long index);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "TEST-ONLY GlobalZone:Testing:ApplyDelayMs = {DelayMs}: every committed command is applied that much later")]
    private partial void LogTestingApplyDelay(int delayMs);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Entry {Index} (term {Term}) holds no command this version understands; recorded as rejected")]
    private partial void LogRejectedEntry(long index, long term);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Checkpoint at index {Index}, revision {Revision}, took {ElapsedMs:F1} ms (FASTER {FasterMs:F0} ms, manifest hashes {ManifestMs:F0} ms)")]
    private partial void LogCheckpoint(long index, long revision, double elapsedMs, double fasterMs, double manifestMs);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Installed snapshot known as index {Index}; state reflects index {ReflectedIndex}, revision {Revision} (its closing checkpoint took {CheckpointMs:F0} ms: FASTER {FasterMs:F0} ms, manifest hashes {ManifestMs:F0} ms)")]
    private partial void LogInstalled(long index, long reflectedIndex, long revision, double checkpointMs, double fasterMs, double manifestMs);
}
