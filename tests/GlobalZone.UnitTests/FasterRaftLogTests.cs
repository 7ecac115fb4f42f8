using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using GlobalZone.Consensus.Log;
using GlobalZone.Storage.DataFolder;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalZone.UnitTests;

/// <summary>
/// The Raft log's persistence rules, each on real FasterLog files. A "crash" here abandons an open log (never disposed,
/// so nothing is flushed on the way out) and opens a second one on the same folder: what the second sees is what
/// was on disk. The multi-process kill -9 tests (IntegrationTests) check the same through real processes.
/// </summary>
public sealed class FasterRaftLogTests : IDisposable
{
    private readonly TempDirectory folder = new();
    private readonly List<FasterRaftLog> abandoned = new();

    private FasterRaftLog Open(RecordingApplier? applier = null, FasterRaftLogOptions? options = null)
        => new(options ?? new FasterRaftLogOptions { DataDirectory = folder.Path }, applier ?? new RecordingApplier(), NullLogger<FasterRaftLog>.Instance);

    /// <summary>Leaves the log open, as a killed process would, and opens the folder again.</summary>
    private FasterRaftLog CrashAndReopen(FasterRaftLog log, RecordingApplier? applier = null)
    {
        abandoned.Add(log);
        return Open(applier);
    }

    private static BinaryLogEntry Entry(long term, string text) => new() { Term = term, Content = System.Text.Encoding.UTF8.GetBytes(text) };

    private static async Task<List<(long Term, string Text)>> ReadAllAsync(IPersistentState log)
    {
        var result = new List<(long, string)>();
        for (var index = 1L; index <= log.LastEntryIndex; index++)
        {
            var entry = await log.ReadAsync(new Collect(), index, index, CancellationToken.None);
            result.Add(entry);
        }

        return result;
    }

    [Fact]
    public async Task Without_the_overlap_a_leaders_appended_entries_are_on_disk_when_append_returns_even_if_never_committed()
    {
        IPersistentState log = Open(options: new FasterRaftLogOptions { DataDirectory = folder.Path, LeaderFlushOverlapsReplication = false });
        await log.UpdateTermAsync(3, resetLastVote: true);
        for (var i = 1; i <= 3; i++)
            Assert.Equal(i, await log.AppendAsync(Entry(3, $"e{i}")));
        Assert.Equal(0, log.LastCommittedEntryIndex);

        IPersistentState reopened = CrashAndReopen((FasterRaftLog)log);
        Assert.Equal(3, reopened.LastEntryIndex);
        Assert.Equal([(3L, "e1"), (3L, "e2"), (3L, "e3")], await ReadAllAsync(reopened));
        Assert.Equal(3, reopened.Term);
    }

    [Fact]
    public async Task A_leaders_entry_is_sent_before_its_flush_but_commits_only_once_durable()
    {
        var log = (FasterRaftLog)Open();
        IPersistentState state = log;
        await state.UpdateTermAsync(3, resetLastVote: true);
        log.FlushHoldForTests = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var i = 1; i <= 3; i++)
            Assert.Equal(i, await state.AppendAsync(Entry(3, $"e{i}")));

        // Published to DotNext (so replicated) while the flush is held...
        Assert.Equal(3, state.LastEntryIndex);
        Assert.Equal([(3L, "e1"), (3L, "e2"), (3L, "e3")], await ReadAllAsync(state));

        // ...but a quorum's commit index does not commit what is not on this member's disk yet.
        await state.CommitAsync(3);
        Assert.Equal(0, state.LastCommittedEntryIndex);

        // The flush completes: the commit DotNext asked for follows by itself (no further CommitAsync), then applies.
        log.FlushHoldForTests.SetResult();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await state.WaitForApplyAsync(3, timeout.Token);
        Assert.Equal(3, state.LastCommittedEntryIndex);

        IPersistentState reopened = CrashAndReopen(log);
        Assert.Equal([(3L, "e1"), (3L, "e2"), (3L, "e3")], await ReadAllAsync(reopened));
    }

    [Fact]
    public async Task A_followers_batch_is_on_disk_when_append_returns_and_a_conflicting_suffix_stays_dropped()
    {
        IPersistentState log = Open();
        await log.UpdateTermAsync(2, resetLastVote: true);
        await log.AppendAsync(new LogEntryProducer<BinaryLogEntry>([Entry(1, "a"), Entry(1, "b"), Entry(1, "c")]), 1, skipCommitted: true);
        Assert.Equal(3, log.LastEntryIndex);
        await log.CommitAsync(1);

        // A new leader of term 2 replaces entries 2 and 3 with one entry: 3 must not come back after a crash.
        await log.AppendAsync(new LogEntryProducer<BinaryLogEntry>([Entry(2, "B")]), 2, skipCommitted: true);
        Assert.Equal(2, log.LastEntryIndex);

        IPersistentState reopened = CrashAndReopen((FasterRaftLog)log);
        Assert.Equal([(1L, "a"), (2L, "B")], await ReadAllAsync(reopened));
    }

    [Fact]
    public async Task An_entry_already_held_with_the_same_term_is_kept_with_what_follows()
    {
        IPersistentState log = Open();
        await log.UpdateTermAsync(1, resetLastVote: true);
        await log.AppendAsync(new LogEntryProducer<BinaryLogEntry>([Entry(1, "a"), Entry(1, "b"), Entry(1, "c")]), 1, skipCommitted: true);

        // A late, shorter AppendEntries from the same leader must not cut entry 3 (it was acknowledged).
        await log.AppendAsync(new LogEntryProducer<BinaryLogEntry>([Entry(1, "b")]), 2, skipCommitted: true);
        Assert.Equal(3, log.LastEntryIndex);
    }

    [Fact]
    public async Task Term_and_vote_are_on_disk_before_the_call_returns()
    {
        IPersistentState log = Open();
        var candidate = new ClusterMemberId(new Random(1));
        var other = new ClusterMemberId(new Random(2));
        Assert.Equal(1, await log.IncrementTermAsync(candidate));

        IPersistentState reopened = CrashAndReopen((FasterRaftLog)log);
        Assert.Equal(1, reopened.Term);
        Assert.True(reopened.IsVotedFor(candidate));
        Assert.False(reopened.IsVotedFor(other));

        await reopened.UpdateTermAsync(5, resetLastVote: true);
        IPersistentState again = CrashAndReopen((FasterRaftLog)reopened);
        Assert.Equal(5, again.Term);
        Assert.True(again.IsVotedFor(other));
    }

    [Fact]
    public async Task Committed_entries_are_applied_in_order_and_an_entry_larger_than_a_page_round_trips()
    {
        var applier = new RecordingApplier();
        IPersistentState log = Open(applier);
        await log.UpdateTermAsync(1, resetLastVote: true);
        var big = new string('x', 9 << 20); // more than two 4 MiB pages: written in parts
        await log.AppendAsync(Entry(1, "small"));
        await log.AppendAsync(Entry(1, big));
        await log.CommitAsync(2);
        await log.WaitForApplyAsync(2);
        Assert.Equal([1L, 2L], applier.Applied.Select(e => e.Index));
        Assert.Equal(big.Length, applier.Applied[1].Payload.Length);

        IPersistentState reopened = CrashAndReopen((FasterRaftLog)log);
        var all = await ReadAllAsync(reopened);
        Assert.Equal(big, all[1].Text);
    }

    [Fact]
    public async Task Entries_under_a_new_snapshot_are_dropped_and_appends_go_on_durably()
    {
        var applier = new RecordingApplier();
        IPersistentState log = Open(applier);
        await log.UpdateTermAsync(1, resetLastVote: true);
        for (var i = 1; i <= 10; i++)
            await log.AppendAsync(Entry(1, $"e{i}"));
        await log.CommitAsync(10);
        await log.WaitForApplyAsync(10);
        applier.Snapshot = new TestSnapshot(8, 1);
        await log.AppendAsync(Entry(1, "e11"));
        await log.CommitAsync(11);
        await log.WaitForApplyAsync(11);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (var i = 12; i <= 20; i++)
            Assert.Equal(i, await log.AppendAsync(Entry(1, $"e{i}"), timeout.Token));
        Assert.Equal(20, log.LastEntryIndex);
        await log.CommitAsync(20);
        await log.WaitForApplyAsync(20, timeout.Token);
        // Below the snapshot, the log answers with the snapshot.
        Assert.Equal(1, await log.ReadAsync(new Count(), 3, 12));

        // After a crash the log continues after the snapshot (the state's checkpoint says 8 here).
        var reopened = CrashAndReopen((FasterRaftLog)log, new RecordingApplier { CheckpointIndex = 8, Snapshot = new TestSnapshot(8, 1) });
        Assert.Equal(20, ((IPersistentState)reopened).LastEntryIndex);
    }

    [Fact]
    public async Task A_restarted_log_applies_what_it_knew_was_committed_before_it_serves()
    {
        IPersistentState log = Open();
        await log.UpdateTermAsync(1, resetLastVote: true);
        for (var i = 1; i <= 3; i++)
            await log.AppendAsync(Entry(1, $"e{i}"));
        await log.CommitAsync(3);
        await log.WaitForApplyAsync(3);
        var stateFile = new NodeStateFile(new DataDirectoryLayout(folder.Path).RaftLog);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (stateFile.Load().CommitHint < 3)
        {
            Assert.True(DateTime.UtcNow < deadline, "the commit hint was written");
            await Task.Delay(20);
        }

        var applier = new RecordingApplier();
        IPersistentState reopened = CrashAndReopen((FasterRaftLog)log, applier);
        Assert.Equal(3, reopened.LastCommittedEntryIndex);
        await reopened.InitializeAsync();
        Assert.Equal([1L, 2L, 3L], applier.Applied.Select(e => e.Index));
    }

    [Fact]
    public async Task One_read_for_replication_is_capped_in_bytes_but_always_carries_an_entry()
    {
        IPersistentState log = Open(options: new FasterRaftLogOptions { DataDirectory = folder.Path, MaxBytesPerAppendEntries = 3 << 20 });
        await log.UpdateTermAsync(1, resetLastVote: true);
        var mib = new string('v', 1 << 20);
        for (var i = 0; i < 10; i++)
            await log.AppendAsync(Entry(1, mib));
        Assert.Equal(3, await log.ReadAsync(new Count(), 1, 10));
        Assert.Equal(1, await log.ReadAsync(new Count(), 10, 10));
        Assert.Equal(10, await log.ReadAsync(new Count(metadataOnly: true), 1, 10));
    }

    [Fact]
    public async Task A_damaged_record_stops_the_log_from_opening_and_names_the_file()
    {
        IPersistentState log = Open();
        await log.UpdateTermAsync(1, resetLastVote: true);
        for (var i = 0; i < 20; i++)
            await log.AppendAsync(Entry(1, $"entry number {i} with some text to damage"));
        await ((FasterRaftLog)log).DisposeAsync();

        var file = Directory.GetFiles(new DataDirectoryLayout(folder.Path).RaftLog, "log*").Single();
        var bytes = await File.ReadAllBytesAsync(file);
        var at = bytes.AsSpan().IndexOf("entry number 9 with"u8);
        Assert.True(at > 0, "the entry's bytes are in the file");
        bytes[at + 3] ^= 0x5A;
        await File.WriteAllBytesAsync(file, bytes);

        var error = Assert.Throws<GlobalZone.Storage.Integrity.StorageIntegrityException>(() => Open());
        Assert.Contains(new DataDirectoryLayout(folder.Path).RaftLog, error.Message);
        Assert.Contains("gz member add", error.Message);
        Assert.Contains("Raft log is damaged", error.Message);
    }

    [Fact]
    public void A_commit_point_torn_by_a_crash_leaves_the_one_before_it()
    {
        var commitFolder = Path.Combine(folder.Path, "commit-points-test");
        using (var points = new CommitPointFile(commitFolder))
        {
            points.Commit(64, 100, [1, 2, 3], 1, false);
            points.Commit(64, 200, [4, 5, 6], 2, false);
            Assert.Equal([2L, 1L], points.ListCommits());
        }

        // Commit 2 sits in slot 0 (commit n goes to slot n mod 2): tear it.
        var file = Path.Combine(commitFolder, CommitPointFile.FileName);
        var bytes = File.ReadAllBytes(file);
        bytes[20] ^= 0xFF;
        File.WriteAllBytes(file, bytes);
        using var reopened = new CommitPointFile(commitFolder);
        Assert.Equal([1L], reopened.ListCommits());
        Assert.Equal([1, 2, 3], reopened.GetCommitMetadata(1));
    }

    [Fact]
    public async Task A_damaged_node_state_file_stops_the_log_from_opening()
    {
        IPersistentState log = Open();
        await log.UpdateTermAsync(7, resetLastVote: true);
        await ((FasterRaftLog)log).DisposeAsync();
        var file = Path.Combine(new DataDirectoryLayout(folder.Path).RaftLog, NodeStateFile.FileName);
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[6] ^= 0x01;
        await File.WriteAllBytesAsync(file, bytes);
        var error = Assert.Throws<GlobalZone.Storage.Integrity.StorageIntegrityException>(() => Open());
        Assert.Contains(NodeStateFile.FileName, error.Message);
    }

    public void Dispose()
    {
        foreach (var log in abandoned)
        {
            try
            {
                log.Dispose();
            }
            catch (Exception)
            {
                // a second instance owned the files meanwhile
            }
        }

        folder.Dispose();
    }

    internal sealed class RecordingApplier : IRaftLogApplier
    {
        public List<CommittedEntry> Applied { get; } = new();

        public long CheckpointIndex { get; init; }

        public long AppliedIndex => CheckpointIndex;

        public long CheckpointTerm => CheckpointIndex > 0 ? 1 : 0;

        public ISnapshot? Snapshot { get; set; }

        public ValueTask ApplyAsync(CommittedEntry entry, CancellationToken token)
        {
            Applied.Add(entry with { Payload = entry.Payload.ToArray() });
            return ValueTask.CompletedTask;
        }

        public ValueTask<long> InstallSnapshotAsync(IRaftLogEntry snapshot, long index, CancellationToken token) => throw new NotSupportedException();
    }

    private sealed class TestSnapshot(long index, long term) : ISnapshot
    {
        public long Index { get; } = index;

        public long Term { get; } = term;

        bool DotNext.IO.IDataTransferObject.IsReusable => true;

        long? DotNext.IO.IDataTransferObject.Length => 0;

        ValueTask DotNext.IO.IDataTransferObject.WriteToAsync<TWriter>(TWriter writer, CancellationToken token) => ValueTask.CompletedTask;
    }

    private sealed class Collect : ILogEntryConsumer<IRaftLogEntry, (long, string)>
    {
        public async ValueTask<(long, string)> ReadAsync<TEntry, TList>(TList entries, long? snapshotIndex, CancellationToken token)
            where TEntry : IRaftLogEntry
            where TList : IReadOnlyList<TEntry>
        {
            var bytes = await entries[0].ToByteArrayAsync(token: token);
            return (entries[0].Term, System.Text.Encoding.UTF8.GetString(bytes));
        }
    }

    private sealed class Count(bool metadataOnly = false) : ILogEntryConsumer<IRaftLogEntry, int>
    {
        public bool LogEntryMetadataOnly => metadataOnly;

        public ValueTask<int> ReadAsync<TEntry, TList>(TList entries, long? snapshotIndex, CancellationToken token)
            where TEntry : IRaftLogEntry
            where TList : IReadOnlyList<TEntry>
            => ValueTask.FromResult(entries.Count);
    }
}
