using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using DotNext.Threading;
using FASTER.core;
using GlobalZone.Storage.Integrity;
using Microsoft.Extensions.Logging;
using GlobalZone.Storage.DataFolder;

namespace GlobalZone.Consensus.Log;

/// <summary>
/// The Raft log in FasterLog, used by DotNext's <c>RaftCluster</c> in place of its <c>WriteAheadLog</c>: every entry is
/// on disk before this member counts or acknowledges it, term and vote are on disk before a vote is answered, a
/// conflicting suffix is dropped durably, and every record carries a checksum that recovery verifies.
/// </summary>
/// <remarks>
/// <para>
/// <b>Why a subclass of WriteAheadLog.</b> DotNext 6.12's <see cref="IPersistentState"/> has an <c>internal set</c>
/// (<c>ConfigurationStorage</c>), so no class outside DotNext can implement it directly. C# interface
/// re-implementation can: this class derives from <c>WriteAheadLog</c> and names <see cref="IPersistentState"/> again,
/// so every interface member it declares replaces the base's, while <c>ConfigurationStorage</c> stays the base's public
/// property (which RaftCluster sets through the internal setter). RaftCluster uses the log only through the interfaces
/// (read in its 6.12 code), never as a <c>WriteAheadLog</c>. The base still opens an empty WAL in a scratch folder with
/// a state machine that does nothing; <see cref="VerifyInterfaceMap"/> checks at start that no interface member still
/// lands on the base (a DotNext update that adds one fails loudly instead of silently using the scratch WAL).
/// </para>
/// <para>
/// <b>What DotNext expects of a log</b> (from RaftCluster, LeaderState and ReplicationProcess in 6.12): the leader
/// counts itself as having every entry up to <c>LastEntryIndex</c> the moment a replication round starts. The leader's
/// new entries are published to DotNext (and so sent to followers) as soon as they are written to FasterLog's memory,
/// while their flush runs (etcd's way: the leader's disk write overlaps the trip to the followers and theirs); the
/// commit index DotNext asks for is then held behind this member's own durable tail (<see cref="CommitCoreAsync"/>)
/// and catches up when the flush completes, so an entry is committed, applied, answered or announced to followers
/// only once it is durable on a majority that includes the leader's own count. With
/// <see cref="FasterRaftLogOptions.LeaderFlushOverlapsReplication"/> off, the leader's append returns only once durable
/// instead. A follower answers AppendEntries as soon as <c>AppendAsync(entries, index, skipCommitted)</c> returns, so
/// that call returns only once its entries are durable (group commit: one FasterLog commit covers every append made
/// while the previous one was in flight).
/// <c>ReadAsync</c> returns the snapshot as the first element (with its index) when the range starts at or below it,
/// and the replicator sends whatever list it gets, advancing by its count: lists are capped in bytes here, so one
/// AppendEntries never carries an unbounded tail. <c>WaitForApplyAsync(index)</c> waits for the state machine to apply
/// that index (reads and writes wait on it). Configuration entries go to the configuration storage when applied.
/// </para>
/// <para>
/// <b>On disk.</b> One FasterLog (folder <c>raft-log</c>) with per-entry checksums, its commit points in
/// <see cref="CommitPointFile"/>, records as in <see cref="RaftLogRecord"/>; term and vote
/// in <see cref="NodeStateFile"/>. The head is cut (<c>TruncateUntil</c>) below each new snapshot. Recovery replays the
/// records: an entry at index i drops older entries at i and above (the durable truncation), a snapshot base drops
/// what it covers. A record that fails its checksum, a gap between entries, or a log that starts after the state's
/// checkpoint stops the member with a StorageIntegrityException naming the file.
/// </para>
/// </remarks>
public sealed partial class FasterRaftLog : WriteAheadLog, IPersistentState
{
    private readonly string folder;
    private readonly IDevice device;
    private readonly FasterLogSettings settings;
    private readonly FasterLog log;
    private readonly CommitPointFile commitPoints;
    private readonly NodeStateFile nodeState;
    private readonly IRaftLogApplier applier;
    private readonly ILogger logger;
    private readonly bool acknowledgeBeforePersisting;
    private readonly bool overlapLeaderFlush;
    private readonly int maxPartBytes;
    private readonly long maxBytesPerRead;

    // The in-memory view: slots[k] is the entry at index baseIndex + 1 + k; baseIndex is the snapshot the log starts after.
    private readonly System.Threading.Lock gate = new();
    private readonly List<Slot> slots = new();
    private long baseIndex, baseTerm;
    private long lastEntryIndex;   // what DotNext sees: durable, plus the leader's own entries while they are flushed
    private long durableIndex;     // the last entry on disk (every entry up to it)
    private long quorumCommit;     // the commit index DotNext asked for; commitIndex follows it up to durableIndex
    private long commitIndex;
    private long appliedIndex;

    // Term and vote, changed one at a time, each persisted before it takes effect.
    private readonly SemaphoreSlim termLock = new(1, 1);
    private long term;
    private ClusterMemberId? vote;
    private long persistedCommitHint;
    private long lastHintWrite;
    private int hintWriteRunning;
    private readonly TimeProvider time;

    /// <summary>How often, at most, the commit index is written down as a restart hint.</summary>
    private static readonly TimeSpan CommitHintEvery = TimeSpan.FromSeconds(1);

    /// <summary>The commit index as far as this member applied it (what a restart may apply before it serves).</summary>
    private long CommitHint => Math.Min(LastCommittedEntryIndex, LastAppliedIndex);

    // One appender at a time (appends and truncations must reach the file in index order).
    private readonly SemaphoreSlim appendLock = new(1, 1);

    private readonly CancellationTokenSource lifetime = new();
    private readonly AsyncAutoResetEvent commitRequested = new(false);
    private long commitWanted;
    private long truncateWanted;
    private static readonly TimeSpan CommitPatience = TimeSpan.FromSeconds(1);

    /// <summary>How long a clean stop waits for the last entries' flush before it closes the files anyway.</summary>
    private static readonly TimeSpan ShutdownFlushPatience = TimeSpan.FromSeconds(5);
    private readonly AsyncAutoResetEvent applyRequested = new(false);
    private TaskCompletionSource appliedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task committer;
    private readonly Task applierLoop;
    private volatile Exception? failure;
    private int disposed;

    public FasterRaftLog(FasterRaftLogOptions options, IRaftLogApplier applier, ILogger<FasterRaftLog> logger, TimeProvider? time = null)
        : base(new Options { Location = Path.Combine(new DataDirectoryLayout(options.DataDirectory).RaftLog, "unused-dotnext-wal"), ChunkSize = 4096 }, new InertStateMachine())
    {
        VerifyInterfaceMap();
        this.time = time ?? TimeProvider.System;
        this.applier = applier;
        this.logger = logger;
        acknowledgeBeforePersisting = options.AcknowledgeBeforePersisting;
        // The test-only switch acknowledges before any flush; the overlap has nothing to add to it.
        overlapLeaderFlush = options.LeaderFlushOverlapsReplication && !acknowledgeBeforePersisting;
        if (acknowledgeBeforePersisting)
            LogAcknowledgeBeforePersisting();
        folder = new DataDirectoryLayout(options.DataDirectory).RaftLog;
        Directory.CreateDirectory(folder);
        nodeState = new NodeStateFile(folder);
        (term, vote, persistedCommitHint) = nodeState.Load();

        var pageBytes = options.PageBytes;
        maxPartBytes = (int)Math.Min(int.MaxValue, pageBytes) - RaftLogRecord.EntryHeaderBytes - 64;
        maxBytesPerRead = options.MaxBytesPerAppendEntries;
        device = Devices.CreateLogDevice(Path.Combine(folder, "log"), recoverDevice: true);
        settings = new FasterLogSettings
        {
            LogDevice = device,
            // One file, two slots, one write and flush per commit (see CommitPointFile).
            LogCommitManager = commitPoints = new CommitPointFile(folder),
            PageSize = pageBytes,
            MemorySize = Math.Max(pageBytes * 4, options.MemoryBytes),
            SegmentSize = Math.Max(pageBytes * 4, 64L << 20),
            LogChecksum = LogChecksumType.PerEntry,
            // Not FastCommitMode (the commit record written into the log itself, one device write per commit instead
            // of two): with it, FasterLog 2.6.5 commits here stalled for a second or more under steady appends (seen
            // in the multi-process tests: a follower's acknowledgement waited on a commit that did not complete, and
            // the leader lost its majority). Each commit also writes its small metadata file.
            FastCommitMode = false,
            // FasterLog's own recovery at construction swallows every error and opens an empty log; recovery is called
            // below instead, where an error stops the member (read in FasterLog 2.6.5: the constructor's Recover(-1)
            // sits in a catch-all when TryRecoverLatest is set; with it unset nothing is recovered at all).
            TryRecoverLatest = false,
        };
        log = new FasterLog(settings);
        try
        {
            log.Recover();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.Dispose();
            commitPoints.Dispose();
            device.Dispose();
            throw RaftLogDamage.At(Path.Combine(folder, "log"), "FasterLog could not recover its commit point: " + e.Message, e);
        }

        RefuseSilentlyShortenedLog();

        Recover();
        committer = Task.Run(CommitLoopAsync);
        applierLoop = Task.Run(ApplyLoopAsync);
    }

    /// <summary>One entry in memory: its bytes and where its records start (first part) and its last part starts.</summary>
    private sealed class Slot(long term, bool isConfiguration, byte[] payload, long startAddress, long lastPartAddress, object? context)
    {
        public long Term { get; } = term;
        public bool IsConfiguration { get; } = isConfiguration;
        public byte[] Payload { get; } = payload;
        public long StartAddress { get; } = startAddress;
        public long LastPartAddress { get; } = lastPartAddress;

        /// <summary>
        /// A FasterLog commit covers this entry once its committed-until address passes the last part's start (commit
        /// points are record boundaries). Not the tail read after the enqueue: in fast-commit mode the committer may
        /// have put its commit record there meanwhile, and that record is only covered by the commit after it.
        /// </summary>
        public bool IsCoveredBy(long committedUntil) => committedUntil > LastPartAddress;
        public object? Context { get; set; } = context;
    }

    // ---- IAuditTrail / IPersistentState ------------------------------------------------------------------------

    public new long LastEntryIndex => Volatile.Read(ref lastEntryIndex);

    public new long LastCommittedEntryIndex => Volatile.Read(ref commitIndex);

    public new long LastAppliedIndex => Volatile.Read(ref appliedIndex);

    long IAuditTrail.LastEntryIndex => LastEntryIndex;

    long IAuditTrail.LastCommittedEntryIndex => LastCommittedEntryIndex;

    bool IAuditTrail.IsLogEntryLengthAlwaysPresented => true;

    long IPersistentState.Term => Volatile.Read(ref term);

    int IPersistentState.Version => 0;

    bool IPersistentState.IsVotedFor(in ClusterMemberId id)
    {
        var current = vote;
        return current is null || current.Value == id;
    }

    async ValueTask<long> IPersistentState.IncrementTermAsync(ClusterMemberId member, CancellationToken token)
    {
        await termLock.WaitAsync(token).ConfigureAwait(false);
        try
        {
            var next = term + 1;
            await nodeState.SaveAsync(next, member, CommitHint, token).ConfigureAwait(false);
            vote = member;
            Volatile.Write(ref term, next);
            return next;
        }
        finally
        {
            termLock.Release();
        }
    }

    async ValueTask IPersistentState.UpdateTermAsync(long value, bool resetLastVote, CancellationToken token)
    {
        await termLock.WaitAsync(token).ConfigureAwait(false);
        try
        {
            var newVote = resetLastVote ? null : vote;
            if (value == term && newVote == vote)
                return;
            await nodeState.SaveAsync(value, newVote, CommitHint, token).ConfigureAwait(false);
            vote = newVote;
            Volatile.Write(ref term, value);
        }
        finally
        {
            termLock.Release();
        }
    }

    async ValueTask IPersistentState.UpdateVotedForAsync(ClusterMemberId member, CancellationToken token)
    {
        await termLock.WaitAsync(token).ConfigureAwait(false);
        try
        {
            if (vote == member)
                return;
            await nodeState.SaveAsync(term, member, CommitHint, token).ConfigureAwait(false);
            vote = member;
        }
        finally
        {
            termLock.Release();
        }
    }

    /// <summary>Applies what recovery found committed before the member takes part (as DotNext's WAL does).</summary>
    public override async Task InitializeAsync(CancellationToken token = default)
    {
        applyRequested.Set();
        await WaitForAppliedAsync(LastCommittedEntryIndex, token).ConfigureAwait(false);
    }

    Task IAuditTrail.InitializeAsync(CancellationToken token) => InitializeAsync(token);

    ValueTask IAuditTrail.WaitForApplyAsync(CancellationToken token) => WaitForNextApplyAsync(token);

    ValueTask IAuditTrail.WaitForApplyAsync(long index, CancellationToken token) => WaitForAppliedAsync(index, token);

    public new ValueTask WaitForApplyAsync(long index, CancellationToken token = default) => WaitForAppliedAsync(index, token);

    ValueTask<long> IAuditTrail.CommitAsync(long endIndex, CancellationToken token) => CommitCoreAsync(endIndex);

    ValueTask<TResult> IAuditTrail.ReadAsync<TResult>(ILogEntryConsumer<ILogEntry, TResult> reader, long startIndex, long endIndex, CancellationToken token)
        => ReadCoreAsync(reader, startIndex, endIndex, token);

    ValueTask<TResult> IAuditTrail<IRaftLogEntry>.ReadAsync<TResult>(ILogEntryConsumer<IRaftLogEntry, TResult> reader, long startIndex, long endIndex, CancellationToken token)
        => ReadCoreAsync(reader, startIndex, endIndex, token);

    /// <summary>
    /// The leader's append of a new entry. Returns its index once it is written to FasterLog's memory and published
    /// (its flush runs while DotNext replicates it; the commit index waits for it), or, with the overlap off, once the
    /// entry is durable.
    /// </summary>
    async ValueTask<long> IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, CancellationToken token)
    {
        ThrowIfFailed();
        if (entry.IsSnapshot)
            throw new InvalidOperationException("A snapshot cannot be appended as a new entry.");
        var payload = await ReadPayloadAsync(entry, token).ConfigureAwait(false);
        var context = entry is IInputLogEntry { Context: { } c } ? c : null;
        long index, lastPartAddress;
        await appendLock.WaitAsync(token).ConfigureAwait(false);
        try
        {
            ThrowIfFailed();
            index = LastAppendedIndex + 1;
            lastPartAddress = await WriteEntryAsync(index, entry.Term, entry.IsConfiguration, payload, context, token).ConfigureAwait(false);
            if (overlapLeaderFlush)
            {
                // Under the append lock, so LastEntryIndex moves in index order.
                lock (gate)
                {
                    if (index > lastEntryIndex)
                        Volatile.Write(ref lastEntryIndex, index);
                }
            }
        }
        finally
        {
            appendLock.Release();
        }

        if (overlapLeaderFlush)
        {
            // Measured (2026-12-04, gz local 1+1+1, one disk, 1 client): a leader commit took 0.72 ms and a follower's
            // 0.87 ms, one after the other on the path of every write; overlapped, the leader's is off that path.
            // History: a try on 12-03 measured 613 vs 600/s at 1 client and 3,976 vs 5,763/s at
            // 32 clients, and one that made CommitAsync wait for the flush lost leaders their lease; this one never waits in
            // CommitAsync (see CommitCoreAsync) and measured 0.85-1.02x etcd at 1 client, no loss at 32 (README).
            RequestCommit(lastPartAddress);
            return index;
        }

        // Outside the append lock: concurrent writers' entries share the next FasterLog commit (group commit).
        await MakeDurableAsync(lastPartAddress, token).ConfigureAwait(false);
        return index;
    }

    /// <summary>DotNext calls this with a snapshot (InstallSnapshot); an ordinary entry at an index is a one-entry batch.</summary>
    async ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, long startIndex, CancellationToken token)
    {
        ThrowIfFailed();
        if (entry.IsSnapshot)
        {
            await InstallSnapshotAsync(entry, startIndex, token).ConfigureAwait(false);
            return;
        }

        await AppendBatchAsync(LogEntryProducer<TEntry>.Of(entry), startIndex, skipCommitted: false, token).ConfigureAwait(false);
    }

    /// <summary>A follower's AppendEntries: returns once every new entry is durable (the follower then acknowledges).</summary>
    ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted, CancellationToken token)
        => AppendBatchAsync(entries, startIndex, skipCommitted, token);

    // ---- Appending -----------------------------------------------------------------------------------------

    /// <summary>Index of the last entry written (durable or not); only under the append lock.</summary>
    private long LastAppendedIndex
    {
        get
        {
            lock (gate)
                return baseIndex + slots.Count;
        }
    }

    private async ValueTask AppendBatchAsync<TEntry>(ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted, CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startIndex);
        ThrowIfFailed();
        await appendLock.WaitAsync(token).ConfigureAwait(false);
        try
        {
            ThrowIfFailed();
            if (startIndex > LastAppendedIndex + 1)
                throw new ArgumentOutOfRangeException(nameof(startIndex), $"Entry {startIndex} would leave a gap after {LastAppendedIndex}.");
            long lastPartAddress = -1;
            for (var index = startIndex; await entries.MoveNextAsync().ConfigureAwait(false); index++)
            {
                var entry = entries.Current;
                if (entry.IsSnapshot)
                    throw new InvalidOperationException("A snapshot inside a batch of entries.");
                if (index <= LastCommittedEntryIndex)
                {
                    if (!skipCommitted)
                        throw new InvalidOperationException($"Entry {index} is committed and cannot be replaced.");
                    continue;
                }

                if (index <= LastAppendedIndex)
                {
                    // Raft: an entry already here with the same term is the same entry; keep it (and what follows).
                    // It may still be on its way to disk (appended while this member led, with its commit in flight):
                    // the acknowledgement below covers it, so wait for it too.
                    if (TermAt(index) == entry.Term)
                    {
                        lastPartAddress = Math.Max(lastPartAddress, LastPartAddressOf(index));
                        continue;
                    }

                    DropFrom(index);
                }

                var payload = await ReadPayloadAsync(entry, token).ConfigureAwait(false);
                lastPartAddress = await WriteEntryAsync(index, entry.Term, entry.IsConfiguration, payload, context: null, token).ConfigureAwait(false);
            }

            // Under the append lock: a follower's acknowledgement follows this, and the next batch must not pass it.
            if (lastPartAddress >= 0)
                await MakeDurableAsync(lastPartAddress, token).ConfigureAwait(false);
        }
        finally
        {
            appendLock.Release();
        }
    }

    private long LastPartAddressOf(long index)
    {
        lock (gate)
            return slots[(int)(index - baseIndex - 1)].LastPartAddress;
    }

    private long TermAt(long index)
    {
        lock (gate)
            return index == baseIndex ? baseTerm : slots[(int)(index - baseIndex - 1)].Term;
    }

    /// <summary>Drops entries from <paramref name="index"/> on (a new leader's entry replaces them). The entry written
    /// next at that index carries the truncation to disk: recovery drops older entries at or above it.</summary>
    private void DropFrom(long index)
    {
        if (index <= LastCommittedEntryIndex)
            throw new InvalidOperationException($"Entry {index} is committed and cannot be replaced.");
        lock (gate)
        {
            var keep = (int)(index - baseIndex - 1);
            for (var k = keep; k < slots.Count; k++)
                (slots[k].Context as IDisposable)?.Dispose();
            slots.RemoveRange(keep, slots.Count - keep);
            if (lastEntryIndex >= index)
                Volatile.Write(ref lastEntryIndex, index - 1);
            if (durableIndex >= index)
                Volatile.Write(ref durableIndex, index - 1);
            // A commit asked for while this member led may not reach entries another leader replaced.
            quorumCommit = Math.Min(quorumCommit, index - 1);
        }

        LogTruncated(index);
    }

    /// <summary>Writes one entry (in parts if it is larger than a page) and returns the address of its last part.</summary>
    private async ValueTask<long> WriteEntryAsync(long index, long entryTerm, bool isConfiguration, byte[] payload, object? context, CancellationToken token)
    {
        var parts = Math.Max(1, (payload.Length + maxPartBytes - 1) / maxPartBytes);
        long start = -1, last = -1;
        for (var part = 0; part < parts; part++)
        {
            var offset = part * maxPartBytes;
            var record = RaftLogRecord.EncodeEntryPart(index, entryTerm, isConfiguration, part, parts, payload.AsSpan(offset, Math.Min(maxPartBytes, payload.Length - offset)));
            last = await log.EnqueueAsync(record, token).ConfigureAwait(false);
            if (part == 0)
                start = last;
        }

        lock (gate)
            slots.Add(new Slot(entryTerm, isConfiguration, payload, start, last, context));
        return last;
    }

    /// <summary>Waits until a FasterLog commit covers the record at <paramref name="lastPartAddress"/>, then publishes the durable tail.</summary>
    private async ValueTask MakeDurableAsync(long lastPartAddress, CancellationToken token)
    {
        if (acknowledgeBeforePersisting)
        {
            // TEST-ONLY: reintroduces the bug the durability tests must catch, as DotNext's WAL behaved: the entry is
            // counted and acknowledged while only in memory, and written once this member learns it is committed
            // (see CommitCoreAsync).
            PublishDurable(long.MaxValue);
            return;
        }

        await WaitUntilCommittedAsync(lastPartAddress, token).ConfigureAwait(false);
        ThrowIfFailed();
        PublishDurable(log.CommittedUntilAddress);
    }

    /// <summary>Asks the committer for a commit covering the record at <paramref name="recordAddress"/> and waits for it.</summary>
    /// <remarks>
    /// FasterLog's <c>CommitAsync</c> is not used: in fast-commit mode each commit appends a commit record, and a
    /// <c>CommitAsync</c> issued when only such a record is new waits for a commit point that never comes (read in
    /// FasterLog 2.6.5: it waits for <c>CommittedUntilAddress</c> to reach a tail that includes the commit record).
    /// So commits are requested with <c>Commit(spinWait: false)</c> and every wait is for a real record's address, with
    /// the commit number left out (<c>commitNum: 0</c>).
    /// </remarks>
    private async ValueTask WaitUntilCommittedAsync(long recordAddress, CancellationToken token)
    {
        RequestCommit(recordAddress);
        await log.WaitForCommitAsync(recordAddress + 1, 0, token).ConfigureAwait(false);
    }

    private void RequestCommit(long recordAddress)
    {
        var until = recordAddress + 1;
        long seen;
        while ((seen = Volatile.Read(ref commitWanted)) < until && Interlocked.CompareExchange(ref commitWanted, until, seen) != seen)
        {
        }

        commitRequested.Set();
    }

    /// <summary>Moves <c>LastEntryIndex</c> to the last entry whose record ends at or before <paramref name="committedUntil"/>.</summary>
    private void PublishDurable(long committedUntil)
    {
        lock (gate)
        {
            int lo = 0, hi = slots.Count - 1, found = -1;
            while (lo <= hi)
            {
                var mid = (lo + hi) >>> 1;
                if (slots[mid].IsCoveredBy(committedUntil))
                {
                    found = mid;
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            var durable = baseIndex + found + 1;
            if (durable <= durableIndex)
                return;
            Volatile.Write(ref durableIndex, durable);
            if (durable > lastEntryIndex)
                Volatile.Write(ref lastEntryIndex, durable);

            // A commit a quorum agreed on while this leader's own entries were being flushed completes now.
            var allowed = Math.Min(quorumCommit, durable);
            if (allowed <= commitIndex)
                return;
            Volatile.Write(ref commitIndex, allowed);
        }

        applyRequested.Set();
    }

    /// <summary>TEST-ONLY: while set and not completed, no FasterLog commit starts (a flush that takes as long as a test needs).</summary>
    internal TaskCompletionSource? FlushHoldForTests { get; set; }

    /// <summary>One FasterLog commit at a time, covering everything enqueued when it starts.</summary>
    private async Task CommitLoopAsync()
    {
        var token = lifetime.Token;
        try
        {
            while (true)
            {
                await commitRequested.WaitAsync(token).ConfigureAwait(false);
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var wanted = Volatile.Read(ref commitWanted);
                if (log.CommittedUntilAddress >= wanted)
                    continue;
                var before = Volatile.Read(ref durableIndex);

                // The head is cut here, between commits, never while one is in flight; the commit persists it.
                // Never past what is committed (a begin address in the unflushed tail stalls FasterLog's commits), and
                // at a page start, the boundary FasterLog's own truncation uses; recovery skips what precedes the
                // first whole entry.
                if (Interlocked.Exchange(ref truncateWanted, 0) is > 0 and var truncateAt)
                    log.TruncateUntilPageStart(Math.Min(truncateAt, log.CommittedUntilAddress));

                // Everything enqueued so far, the wanted records included, goes in this one commit. A commit that has
                // not completed after a while is issued again (seen once under heavy load: a commit request that
                // never completed, which would stall every append behind it).
                if (FlushHoldForTests is { } hold)
                    await hold.Task.WaitAsync(token).ConfigureAwait(false);
                for (var attempt = 0; log.CommittedUntilAddress < wanted; attempt++)
                {
                    log.Commit(spinWait: false);
                    using var patience = CancellationTokenSource.CreateLinkedTokenSource(token);
                    patience.CancelAfter(CommitPatience);
                    try
                    {
                        await log.WaitForCommitAsync(wanted, 0, patience.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!token.IsCancellationRequested)
                    {
                        LogCommitReissued(wanted, log.CommittedUntilAddress, attempt + 1);
                    }
                }

                ConsensusInstruments.LogCommitDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                PublishDurable(log.CommittedUntilAddress);
                ConsensusInstruments.LogCommitEntries.Record(Math.Max(0, Volatile.Read(ref durableIndex) - before));
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Fail(e, "commit");
        }
    }

    private static async ValueTask<byte[]> ReadPayloadAsync<TEntry>(TEntry entry, CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        if (entry.TryGetMemory(out var memory))
            return memory.ToArray();
        return await entry.ToByteArrayAsync(token: token).ConfigureAwait(false);
    }

    // ---- Commit and apply ----------------------------------------------------------------------------------

    private ValueTask<long> CommitCoreAsync(long endIndex)
    {
        if (failure is { } e)
            return ValueTask.FromException<long>(new InvalidOperationException("The Raft log stopped after a failure.", e));
        long count, persistUpTo = -1;
        lock (gate)
        {
            var target = Math.Min(endIndex, lastEntryIndex);
            if (target > quorumCommit)
                quorumCommit = target;

            // DotNext counted this member as holding everything up to LastEntryIndex; what is not yet on disk here
            // commits when its flush completes (PublishDurable), not now. Never waits: DotNext's heartbeat loop
            // calls this, and holding it back costs the leader its lease.
            target = Math.Min(target, durableIndex);
            count = target - commitIndex;
            if (count <= 0)
                return ValueTask.FromResult(0L);
            Volatile.Write(ref commitIndex, target);
            if (acknowledgeBeforePersisting && target > baseIndex)
                persistUpTo = slots[(int)(target - baseIndex - 1)].LastPartAddress;
        }

        // TEST-ONLY (AcknowledgeBeforePersisting): entries reach the disk only now that they are known committed.
        if (persistUpTo >= 0)
            RequestCommit(persistUpTo);

        // Not written to disk: Raft does not need the commit index durable (a restarted member relearns it from the
        // leader and continues from the state's checkpoint). Writing it as a record from here, outside the append
        // lock, stalled FasterLog commits (enqueues racing a commit in flight), so every record goes through the lock.
        applyRequested.Set();
        return ValueTask.FromResult(count);
    }

    private async Task ApplyLoopAsync()
    {
        var token = lifetime.Token;
        try
        {
            while (true)
            {
                await applyRequested.WaitAsync(token).ConfigureAwait(false);
                while (LastAppliedIndex < LastCommittedEntryIndex)
                {
                    var index = LastAppliedIndex + 1;
                    Slot? slot;
                    lock (gate)
                    {
                        if (index <= baseIndex)
                        {
                            // A snapshot install moved the state past it.
                            SetApplied(baseIndex);
                            continue;
                        }

                        slot = slots[(int)(index - baseIndex - 1)];
                    }

                    var context = slot.Context;
                    slot.Context = null;
                    if (slot.IsConfiguration && ConfigurationStorage is { } storage)
                        await storage.SaveConfigurationAsync(new StoredEntry(slot.Term, slot.IsConfiguration, slot.Payload), index, token).ConfigureAwait(false);
                    await applier.ApplyAsync(new CommittedEntry(index, slot.Term, slot.IsConfiguration, slot.Payload, context), token).ConfigureAwait(false);
                    SetApplied(index);
                    SignalApplied();
                    CompactToSnapshot();
                    MaybeWriteCommitHint();
                }

                SignalApplied();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Fail(e, "apply");
        }
    }

    private void SetApplied(long index)
    {
        lock (gate)
        {
            if (index > appliedIndex)
                Volatile.Write(ref appliedIndex, index);
        }
    }

    private void SignalApplied()
    {
        var previous = Interlocked.Exchange(ref appliedSignal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        previous.TrySetResult();
    }

    private async ValueTask WaitForAppliedAsync(long index, CancellationToken token)
    {
        while (true)
        {
            ThrowIfFailed();
            var signal = Volatile.Read(ref appliedSignal);
            if (LastAppliedIndex >= index)
                return;
            await signal.Task.WaitAsync(token).ConfigureAwait(false);
        }
    }

    private async ValueTask WaitForNextApplyAsync(CancellationToken token)
    {
        ThrowIfFailed();
        await Volatile.Read(ref appliedSignal).Task.WaitAsync(token).ConfigureAwait(false);
        ThrowIfFailed();
    }

    /// <summary>Drops entries the state machine's snapshot covers, in memory now and on disk at the next commit.</summary>
    private void CompactToSnapshot()
    {
        if (applier.Snapshot is not { } snapshot)
            return;
        long truncateAt;
        lock (gate)
        {
            var covered = snapshot.Index - baseIndex;
            if (covered <= 0 || snapshot.Index > appliedIndex)
                return;
            var drop = (int)Math.Min(covered, slots.Count);
            if (drop == 0)
                return;
            // Up to the first entry kept; when none is kept, up to the last one dropped (recovery skips it again, as
            // the state's checkpoint covers it): a truncation point must be a record boundary.
            truncateAt = drop < slots.Count ? slots[drop].StartAddress : slots[drop - 1].StartAddress;
            slots.RemoveRange(0, drop);
            baseIndex += drop;
            baseTerm = snapshot.Term;
        }

        // The committer applies it between two commits (see CommitLoopAsync).
        long seen;
        while ((seen = Volatile.Read(ref truncateWanted)) < truncateAt && Interlocked.CompareExchange(ref truncateWanted, truncateAt, seen) != seen)
        {
        }
    }

    /// <summary>Writes the commit index down at most every <see cref="CommitHintEvery"/>, off the apply path.</summary>
    private void MaybeWriteCommitHint()
    {
        var now = time.GetTimestamp();
        if (CommitHint <= Volatile.Read(ref persistedCommitHint) || time.GetElapsedTime(Volatile.Read(ref lastHintWrite), now) < CommitHintEvery)
            return;
        if (Interlocked.Exchange(ref hintWriteRunning, 1) != 0)
            return;
        Volatile.Write(ref lastHintWrite, now);
        _ = Task.Run(async () =>
        {
            try
            {
                await termLock.WaitAsync(lifetime.Token).ConfigureAwait(false);
                try
                {
                    var hint = CommitHint;
                    await nodeState.SaveAsync(term, vote, hint, lifetime.Token).ConfigureAwait(false);
                    Volatile.Write(ref persistedCommitHint, hint);
                }
                finally
                {
                    termLock.Release();
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // A hint only; the next one will do.
            }
            finally
            {
                Volatile.Write(ref hintWriteRunning, 0);
            }
        });
    }

    // ---- Snapshots -----------------------------------------------------------------------------------------

    private async ValueTask InstallSnapshotAsync<TEntry>(TEntry snapshot, long index, CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        await appendLock.WaitAsync(token).ConfigureAwait(false);
        try
        {
            if (index <= LastCommittedEntryIndex)
                throw new InvalidOperationException($"Snapshot {index} is at or below the commit index {LastCommittedEntryIndex}.");
            var reflected = await applier.InstallSnapshotAsync(snapshot, index, token).ConfigureAwait(false);
            lock (gate)
            {
                // Raft's rule: keep the entries after the snapshot when the log holds its last entry; else drop all.
                var keepsSuffix = reflected > baseIndex && reflected <= baseIndex + slots.Count && slots[(int)(reflected - baseIndex - 1)].Term == snapshot.Term;
                if (keepsSuffix)
                {
                    slots.RemoveRange(0, (int)(reflected - baseIndex));
                }
                else
                {
                    slots.Clear();
                    Volatile.Write(ref lastEntryIndex, reflected);
                }

                baseIndex = reflected;
                baseTerm = snapshot.Term;
                if (lastEntryIndex < reflected)
                    Volatile.Write(ref lastEntryIndex, reflected);
                Volatile.Write(ref durableIndex, Math.Min(lastEntryIndex, Math.Max(durableIndex, reflected)));
                quorumCommit = Math.Max(quorumCommit, reflected);
                Volatile.Write(ref commitIndex, Math.Max(commitIndex, reflected));
                Volatile.Write(ref appliedIndex, Math.Max(appliedIndex, reflected));
            }

            var address = await log.EnqueueAsync(RaftLogRecord.EncodeSnapshotBase(reflected, snapshot.Term), token).ConfigureAwait(false);
            await WaitUntilCommittedAsync(address, token).ConfigureAwait(false);
            LogSnapshotInstalled(reflected, snapshot.Term);
        }
        finally
        {
            appendLock.Release();
        }

        SignalApplied();
        applyRequested.Set();
    }

    /// <summary>
    /// True when the entry at <paramref name="index"/> is committed here with <paramref name="entryTerm"/> (or lies in the
    /// snapshot this log starts after, which only committed entries reach).
    /// </summary>
    public bool HoldsCommitted(long index, long entryTerm)
    {
        lock (gate)
        {
            if (index > commitIndex || index <= 0)
                return false;
            if (index < baseIndex)
                return true;
            return (index == baseIndex ? baseTerm : slots[(int)(index - baseIndex - 1)].Term) == entryTerm;
        }
    }

    // ---- Reading -------------------------------------------------------------------------------------------

    private ValueTask<TResult> ReadCoreAsync<TResult>(ILogEntryConsumer<IRaftLogEntry, TResult> reader, long startIndex, long endIndex, CancellationToken token)
    {
        if (failure is { } e)
            return ValueTask.FromException<TResult>(new InvalidOperationException("The Raft log stopped after a failure.", e));
        if (startIndex < 0)
            return ValueTask.FromException<TResult>(new ArgumentOutOfRangeException(nameof(startIndex)));
        if (endIndex < 0 || endIndex > LastEntryIndex)
            return ValueTask.FromException<TResult>(new ArgumentOutOfRangeException(nameof(endIndex)));
        if (startIndex > endIndex)
            return reader.ReadAsync<IRaftLogEntry, IRaftLogEntry[]>([], null, token);

        var snapshot = applier.Snapshot;
        IRaftLogEntry[] list;
        long? snapshotIndex = null;
        lock (gate)
        {
            if (snapshot is not null && snapshot.Index >= startIndex)
            {
                // The replicator sends the snapshot (InstallSnapshot) and nothing else in this round.
                list = [snapshot];
                snapshotIndex = snapshot.Index;
            }
            else if (startIndex <= baseIndex)
            {
                if (startIndex == baseIndex && endIndex == baseIndex)
                    list = [new StoredEntry(baseTerm, false, ReadOnlyMemory<byte>.Empty)];
                else
                    return ValueTask.FromException<TResult>(new InvalidOperationException($"Entries from {startIndex} are compacted (the log starts after {baseIndex}) and no snapshot covers them."));
            }
            else
            {
                var capBytes = reader.LogEntryMetadataOnly ? long.MaxValue : maxBytesPerRead;
                var count = (int)(endIndex - startIndex + 1);
                var first = (int)(startIndex - baseIndex - 1);
                var taken = new List<IRaftLogEntry>(Math.Min(count, 1024));
                long bytes = 0;
                for (var k = 0; k < count; k++)
                {
                    var slot = slots[first + k];
                    if (k > 0 && bytes + slot.Payload.Length > capBytes)
                        break;
                    bytes += slot.Payload.Length;
                    taken.Add(new StoredEntry(slot.Term, slot.IsConfiguration, slot.Payload));
                }

                list = taken.ToArray();
            }
        }

        return reader.ReadAsync<IRaftLogEntry, IRaftLogEntry[]>(list, snapshotIndex, token);
    }

    // ---- Recovery ------------------------------------------------------------------------------------------

    private void Recover()
    {
        var logFile = Path.Combine(folder, "log");
        var partsOf = (Index: -1L, Term: 0L, Config: false, Parts: 0, Next: 0, Start: 0L, Buffer: (MemoryStream?)null);
        var firstEntrySeen = false;
        try
        {
            using var iterator = log.Scan(log.BeginAddress, log.CommittedUntilAddress);
            while (iterator.GetNext(out byte[] bytes, out var length, out var address, out _))
            {
                RaftLogRecord record;
                try
                {
                    record = RaftLogRecord.Decode(bytes, length);
                }
                catch (InvalidDataException e)
                {
                    throw RaftLogDamage.At(logFile, $"record at address {address}: {e.Message}");
                }

                switch (record.Kind)
                {
                    case RaftLogRecordKind.SnapshotBase:
                        ApplySnapshotBase(record.Index, record.Term);
                        break;
                    case RaftLogRecordKind.EntryPart:
                        if (record.Part == 0)
                            partsOf = (record.Index, record.Term, record.IsConfiguration, record.Parts, 0, address, record.Parts > 1 ? new MemoryStream() : null);
                        else if (!firstEntrySeen && partsOf.Index < 0)
                            continue; // the tail of an entry whose first parts were cut with the head of the log
                        else if (record.Index != partsOf.Index || record.Part != partsOf.Next || record.Parts != partsOf.Parts)
                            throw RaftLogDamage.At(logFile, $"part {record.Part} of entry {record.Index} at address {address} does not follow part {partsOf.Next - 1} of entry {partsOf.Index}");
                        partsOf.Next++;
                        byte[] payload;
                        if (partsOf.Buffer is { } buffer)
                        {
                            buffer.Write(record.Payload.Span);
                            if (partsOf.Next < partsOf.Parts)
                                continue;
                            payload = buffer.ToArray();
                        }
                        else
                        {
                            payload = record.Payload.ToArray();
                        }

                        if (!firstEntrySeen && slots.Count == 0 && baseIndex == 0)
                            baseIndex = record.Index - 1;
                        firstEntrySeen = true;
                        RecoverEntry(record.Index, partsOf.Term, partsOf.Config, payload, partsOf.Start, address, logFile);
                        partsOf = (-1, 0, false, 0, 0, 0, null);
                        break;
                }
            }
        }
        catch (StorageIntegrityException)
        {
            throw;
        }
        catch (Exception e) when (e is FasterException or IOException or InvalidOperationException or ArgumentException)
        {
            throw RaftLogDamage.At(logFile, "a record failed its checksum or could not be read: " + e.Message, e);
        }

        // The state's checkpoint is the snapshot the log continues from.
        var checkpoint = applier.AppliedIndex;
        if (checkpoint < baseIndex)
            throw RaftLogDamage.At(logFile, $"the log starts after entry {baseIndex} but the state's checkpoint is at {checkpoint}: entries between are missing");
        if (checkpoint > baseIndex)
        {
            var drop = (int)Math.Min(checkpoint - baseIndex, slots.Count);
            slots.RemoveRange(0, drop);
            baseIndex = checkpoint;
            baseTerm = applier.CheckpointTerm;
        }

        // A one-member group leads in term 0 (DotNext never increments it), so entries of term 0 with no node-state
        // file are fine; a missing or older file under entries of a later term is not (checked below).
        lastEntryIndex = baseIndex + slots.Count;
        durableIndex = lastEntryIndex;
        // What this member knew was committed (and had applied) before it stopped: applied at start (InitializeAsync).
        commitIndex = Math.Max(baseIndex, Math.Min(persistedCommitHint, lastEntryIndex));
        quorumCommit = commitIndex;
        appliedIndex = baseIndex;
        if (slots.Count > 0 && slots[^1].Term > term)
            throw RaftLogDamage.At(nodeState.FilePath, nodeState.Exists ? $"term {term} is older than the last entry's term {slots[^1].Term}" : $"missing while the log holds entries of term {slots[^1].Term}");
        LogRecovered(baseIndex, lastEntryIndex, commitIndex, term, log.TailAddress - log.BeginAddress);
    }

    /// <summary>
    /// FasterLog's recovery stops quietly at the first record that fails its checksum (its forward scan for commit
    /// records swallows the error) and reports an earlier commit point: acknowledged entries after a damaged byte would
    /// vanish without a word. The log files say how far they were written; a commit point well short of that means a
    /// record in between is damaged.
    /// </summary>
    private void RefuseSilentlyShortenedLog()
    {
        var segments = Directory.GetFiles(folder, "log.*")
            .Select(path => (Path: path, Number: long.TryParse(Path.GetExtension(path).TrimStart('.'), out var n) ? n : -1))
            .Where(f => f.Number >= 0)
            .OrderBy(f => f.Number)
            .ToList();
        if (segments.Count == 0)
            return;
        var last = segments[^1];
        var writtenUntil = last.Number * settings.SegmentSize + new FileInfo(last.Path).Length;
        // A commit flushes the tail page up to the next sector; allow one page of slack for that and for a final
        // write that was in flight at a crash (never acknowledged: its commit never completed).
        var slack = settings.PageSize + 4096;
        if (writtenUntil > log.CommittedUntilAddress + slack)
            throw RaftLogDamage.At(last.Path, $"the files hold {writtenUntil} bytes but the last commit that can be verified ends at {log.CommittedUntilAddress}: a record in between failed its checksum");
    }

    private void ApplySnapshotBase(long index, long snapshotTerm)
    {
        var keepsSuffix = index > baseIndex && index <= baseIndex + slots.Count && slots[(int)(index - baseIndex - 1)].Term == snapshotTerm;
        if (keepsSuffix)
            slots.RemoveRange(0, (int)(index - baseIndex));
        else if (index >= baseIndex)
            slots.Clear();
        else
            return;
        baseIndex = index;
        baseTerm = snapshotTerm;
    }

    private void RecoverEntry(long index, long entryTerm, bool isConfiguration, byte[] payload, long start, long lastPart, string logFile)
    {
        if (index <= baseIndex)
            return;
        var last = baseIndex + slots.Count;
        if (index > last + 1)
            throw RaftLogDamage.At(logFile, $"entry {index} follows entry {last}: entries between are missing");
        if (index <= last)
            slots.RemoveRange((int)(index - baseIndex - 1), (int)(last - index + 1));
        slots.Add(new Slot(entryTerm, isConfiguration, payload, start, lastPart, null));
    }

    // ---- Failure and disposal ------------------------------------------------------------------------------

    private void ThrowIfFailed()
    {
        if (failure is { } e)
            throw new InvalidOperationException("The Raft log stopped after a failure; restart the member.", e);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
    }

    private void Fail(Exception e, string where)
    {
        failure ??= e;
        LogFailed(e, where);
        SignalApplied();
    }

    /// <summary>Every member of the log interfaces must be this class's, except the configuration storage property.</summary>
    private static void VerifyInterfaceMap()
    {
        foreach (var type in new[] { typeof(IPersistentState), typeof(IAuditTrail<IRaftLogEntry>), typeof(IAuditTrail) })
        {
            var map = typeof(FasterRaftLog).GetInterfaceMap(type);
            for (var i = 0; i < map.TargetMethods.Length; i++)
            {
                var target = map.TargetMethods[i];
                if (target.DeclaringType == typeof(FasterRaftLog) || map.InterfaceMethods[i].Name.Contains(nameof(ConfigurationStorage), StringComparison.Ordinal))
                    continue;
                // A default interface method that no class implements lands on the interface itself: that is fine.
                if (target.DeclaringType is { IsInterface: true })
                    continue;
                throw new InvalidOperationException($"{type.Name}.{map.InterfaceMethods[i].Name} still maps to {target.DeclaringType?.Name}: this DotNext version has a log member FasterRaftLog does not implement.");
            }
        }
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            lifetime.Cancel();
            await committer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await applierLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            try
            {
                // A clean stop leaves every written entry on disk (a leader's last entries may still be in flight).
                if (failure is null && log.TailAddress > log.CommittedUntilAddress)
                {
                    using var patience = new CancellationTokenSource(ShutdownFlushPatience);
                    log.Commit(spinWait: false);
                    await log.WaitForCommitAsync(log.TailAddress, 0, patience.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or CommitFailureException)
            {
                LogFailed(e, "the last entries at shutdown");
            }

            try
            {
                // A clean stop leaves the latest commit hint, so the next start applies everything it knew.
                if (failure is null && CommitHint > Volatile.Read(ref persistedCommitHint))
                    await nodeState.SaveAsync(term, vote, CommitHint, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                LogFailed(e, "the last commit hint");
            }

            log.Dispose();
            settings.Dispose();
            commitPoints.Dispose();
            device.Dispose();
            lifetime.Dispose();
        }

        await base.DisposeAsyncCore().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            DisposeAsyncCore().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "Raft log (FasterLog) recovered: entries {FirstIndex}+1..{LastIndex}, commit index {CommitIndex}, term {Term}, {Bytes} bytes")]
    private partial void LogRecovered(long firstIndex, long lastIndex, long commitIndex, long term, long bytes);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Raft log: dropped the uncommitted entries from {Index} on (a leader's entries replace them)")]
    private partial void LogTruncated(long index);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Raft log: snapshot installed at index {Index} (term {Term}); the log continues after it")]
    private partial void LogSnapshotInstalled(long index, long term);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Critical, Message = "Raft log stopped: {Where} failed. This member no longer appends, acknowledges or applies; restart it")]
    private partial void LogFailed(Exception error, string where);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Warning, Message = "Raft log: a FasterLog commit covering address {Wanted} has not completed after a second (committed until {Committed}); issued again (attempt {Attempt})")]
    private partial void LogCommitReissued(long wanted, long committed, int attempt);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Warning, Message = "TEST-ONLY GlobalZone:Testing:AcknowledgeBeforePersisting: this member counts and acknowledges entries before they are on disk (a crash can lose acknowledged entries)")]
    private partial void LogAcknowledgeBeforePersisting();
}
