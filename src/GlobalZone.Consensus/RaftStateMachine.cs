using System.Buffers;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>
/// DotNext's view of the key/value state: applies committed entries, installs snapshots from the leader,
/// and checkpoints FASTER often enough that the WAL keeps only a short tail.
/// </summary>
/// <remarks>
/// Never throws for a committed command (DotNext stops the applier for good on an exception): commands that do
/// not decode are recorded as rejected. Only an I/O failure of the local disk escapes, which no retry can mend.
/// </remarks>
public sealed partial class RaftStateMachine : IStateMachine
{
    private readonly KeyValueStateMachine state;
    private readonly ILogger<RaftStateMachine> logger;
    private readonly string scratchDirectory;
    private readonly int snapshotEveryEntries;
    private readonly int testingApplyDelayMs;
    private volatile LiveStateSnapshot? snapshot;

    private readonly ApplyHealth health;

    public RaftStateMachine(KeyValueStateMachine state, NodeOptions options, ApplyHealth health, ILogger<RaftStateMachine> logger)
    {
        this.state = state;
        this.health = health;
        this.logger = logger;
        state.CommandRefused += (index, error) => LogCommandRefused(error, index);
        scratchDirectory = Path.Combine(options.DataDirectory, "snapshots");
        snapshotEveryEntries = options.SnapshotEveryEntries;
        testingApplyDelayMs = options.Testing.ApplyDelayMs;
        if (testingApplyDelayMs > 0)
            LogTestingApplyDelay(testingApplyDelayMs);
        if (Directory.Exists(scratchDirectory))
        {
            foreach (var leftover in Directory.EnumerateFiles(scratchDirectory))
                File.Delete(leftover);
        }

        if (state.SnapshotIndex > 0)
            snapshot = new LiveStateSnapshot(state, state.SnapshotIndex, state.SnapshotTerm, scratchDirectory, OnSnapshotResentTooOften);
    }

    public KeyValueStateMachine State => state;

    /// <summary>
    /// Takes a checkpoint at start, before the member joins: it keeps the snapshot index, and it compiles the
    /// checkpoint path ahead of the first snapshot install, which must finish within one Raft RPC timeout.
    /// </summary>
    public Task WarmUpAsync(CancellationToken token) => state.RecheckpointAsync(token);

    /// <summary>
    /// Raised when the current snapshot has been sent too often: a new checkpoint (taken at the next applied entry)
    /// is needed, and the leader should make sure an entry comes (see <see cref="LiveStateSnapshot"/>).
    /// </summary>
    public event Action? SnapshotResentTooOften;

    private void OnSnapshotResentTooOften() => SnapshotResentTooOften?.Invoke();

    /// <summary>Raised after each committed entry is applied (followers apply only what the leader said is committed).</summary>
    public event Action? EntryApplied;

    ISnapshot? ISnapshotManager.Snapshot => snapshot;

    ValueTask ISnapshotManager.ReclaimGarbageAsync(long watermark, CancellationToken token) => ValueTask.CompletedTask;

    async ValueTask<long> IStateMachine.ApplyAsync(LogEntry entry, CancellationToken token)
    {
        if (entry.IsSnapshot)
            return await InstallAsync(entry, token).ConfigureAwait(false);

        if (entry.Index <= state.AppliedIndex)
            return entry.Index;

        try
        {
            await ApplyCommittedAsync(entry, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
        {
            // Not the command's fault (those are recorded as rejected inside Apply): the local storage failed, and part
            // of the command may have reached it. Stop here for good. Throwing stops DotNext's applier, and its log
            // then refuses appends, so this member no longer acknowledges entries it cannot apply; ApplyHealth keeps
            // it from serving reads, reporting ready or leading, while the others go on.
            health.Report(entry.Index, e);
            LogApplyFault(e, entry.Index, entry.Term);
            throw;
        }

        return entry.Index;
    }

    private async Task ApplyCommittedAsync(LogEntry entry, CancellationToken token)
    {
        if (entry.IsConfiguration || !entry.TryGetPayload(out var payload) || payload.IsEmpty)
        {
            state.MarkApplied(entry.Index, entry.Term);
        }
        else
        {
            // TEST-ONLY (GlobalZone:Testing:ApplyDelayMs): a member whose apply lags what the leader committed.
            if (testingApplyDelayMs > 0)
                await Task.Delay(testingApplyDelayMs, token).ConfigureAwait(false);
            var command = CommandCodec.TryDecode(payload);
            if (command is null)
                LogRejectedEntry(entry.Index, entry.Term);
            var result = state.Apply(entry.Index, entry.Term, command);
            if (entry.Context is ProposalContext context)
            {
                context.Index = entry.Index;
                context.Result = result;
            }
        }

        EntryApplied?.Invoke();
        if (entry.Index - state.SnapshotIndex >= Math.Max(snapshotEveryEntries, state.KeyCount)
            || (snapshot?.ResentTooOften == true && entry.Index > state.SnapshotIndex))
            await CheckpointAsync(token).ConfigureAwait(false);
    }

    private async Task CheckpointAsync(CancellationToken token)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await state.CheckpointAsync(token).ConfigureAwait(false);
        snapshot = new LiveStateSnapshot(state, state.SnapshotIndex, state.SnapshotTerm, scratchDirectory, OnSnapshotResentTooOften);
        ConsensusInstruments.CheckpointDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        LogCheckpoint(state.SnapshotIndex, state.Revision, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private async ValueTask<long> InstallAsync(LogEntry entry, CancellationToken token)
    {
        Directory.CreateDirectory(scratchDirectory);
        var path = Path.Combine(scratchDirectory, $"incoming-{entry.Index}-{Guid.NewGuid():N}.snap");
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                await entry.WriteToAsync(file, 1 << 16, token).ConfigureAwait(false);

            await using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            var reflected = await state.InstallSnapshotAsync(source, entry.Index, entry.Term, token).ConfigureAwait(false);
            snapshot = new LiveStateSnapshot(state, state.SnapshotIndex, state.SnapshotTerm, scratchDirectory, OnSnapshotResentTooOften);
            LogInstalled(entry.Index, reflected, state.Revision);
            return entry.Index;
        }
        finally
        {
            File.Delete(path);
        }
    }

    [LoggerMessage(EventId = 1004, Level = LogLevel.Critical, Message = "Member cannot apply entry {Index} (term {Term}): the local storage failed. It stops applying, answers no reads, reports not ready (/readyz 503) and will not lead; the rest of the group goes on. Mend the disk and restart the member: it recovers from its last checkpoint and replays the log")]
    private partial void LogApplyFault(Exception error, long index, long term);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "Command at index {Index} could not be applied and was recorded as rejected with nothing written (a defect to report; every member does the same)")]
    private partial void LogCommandRefused(Exception error, long index);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Entry {Index} (term {Term}) holds no command this version understands; recorded as rejected")]
    private partial void LogRejectedEntry(long index, long term);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Checkpoint at index {Index}, revision {Revision}, took {ElapsedMs:F1} ms")]
    private partial void LogCheckpoint(long index, long revision, double elapsedMs);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "TEST-ONLY GlobalZone:Testing:ApplyDelayMs = {DelayMs}: every committed command is applied that much later")]
    private partial void LogTestingApplyDelay(int delayMs);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Installed snapshot sent as index {Index}; state reflects index {ReflectedIndex}, revision {Revision}")]
    private partial void LogInstalled(long index, long reflectedIndex, long revision);
}
