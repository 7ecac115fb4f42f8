using GlobalZone.Contracts;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;
using GlobalZone.Storage;

namespace GlobalZone.UnitTests;

/// <summary>
/// Apply at the sizes the API accepts, with the storage's default page sizes (nothing shrunk): a value at the limit,
/// a transaction at the request limit, a prefix delete and a lease revoke of 100,000 keys; and apply's all-or-nothing
/// rule when a command's logic throws or the storage fails.
/// </summary>
public sealed class ApplyAtRealSizesTests : IDisposable
{
    private readonly TempDirectory dir = new();

    // Default FASTER sizes: the history's 1 MiB page is what a value at the limit used to overflow.
    private StorageOptions Options(string name = "a", string? failWritesContaining = null)
        => new() { Directory = Path.Combine(dir.Path, name), TestingFailWritesContaining = failWritesContaining };

    private static byte[] Filled(int length, byte fill)
    {
        var bytes = new byte[length];
        Array.Fill(bytes, fill);
        return bytes;
    }

    [Fact]
    public async Task A_value_at_the_limit_applies_is_in_the_history_and_survives_reopen()
    {
        var value = Filled(Limits.DefaultMaxValueBytes, (byte)'x');
        using (var sm = new KeyValueStateMachine(Options()))
        {
            var result = sm.Apply(1, 1, TxnCommand.Put("big", value, ValueFormat.Raw))!;
            Assert.Equal(CommandStatus.Applied, result.Status);
            Assert.Equal(value, sm.Get("big")!.Value);
            await sm.CommitHistoryAsync(CancellationToken.None);
            var history = sm.ReadHistory(1, 10);
            Assert.Single(history);
            Assert.Equal(value, history[0].Events[0].Record.Value);

            // A second one after it: parts of two revisions never mix.
            var second = Filled(Limits.DefaultMaxValueBytes, (byte)'y');
            sm.Apply(2, 1, TxnCommand.Put("big2", second, ValueFormat.Raw));
            await sm.CheckpointAsync(CancellationToken.None);
            history = sm.ReadHistory(1, 10);
            Assert.Equal([1L, 2L], history.Select(h => h.Revision));
            Assert.Equal(second, history[1].Events[0].Record.Value);
        }

        using var reopened = new KeyValueStateMachine(Options());
        Assert.Equal(2, reopened.Revision);
        Assert.Equal(value, reopened.Get("big")!.Value);
        var recovered = reopened.ReadHistory(1, 10);
        Assert.Equal([1L, 2L], recovered.Select(h => h.Revision));
        Assert.Equal(value, recovered[0].Events[0].Record.Value);
    }

    [Fact]
    public async Task A_transaction_of_128_large_puts_applies_at_one_revision()
    {
        // 128 operations (the most a transaction holds) whose values add up to the request limit.
        var each = Limits.DefaultMaxValueBytes / Limits.MaxTxnOperations;
        var ops = Enumerable.Range(0, Limits.MaxTxnOperations)
            .Select(i => new TxnOperation(TxnOperationKind.Put, $"t/{i:D3}", Filled(each, (byte)('a' + (i % 26))), ValueFormat.Raw))
            .ToList();
        using var sm = new KeyValueStateMachine(Options());
        var result = sm.Apply(1, 1, new TxnCommand([], ops, []))!;
        Assert.Equal(CommandStatus.Applied, result.Status);
        Assert.Equal(1, result.Revision);
        Assert.Equal(Limits.MaxTxnOperations, sm.KeyCount);
        await sm.CommitHistoryAsync(CancellationToken.None);
        var events = Assert.Single(sm.ReadHistory(1, 10)).Events;
        Assert.Equal(Limits.MaxTxnOperations, events.Count);
        Assert.Equal(ops[127].Value, events[127].Record.Value);
    }

    [Fact]
    public async Task An_idempotent_transaction_whose_outcome_holds_values_at_the_limit_is_remembered_and_replayed()
    {
        // The remembered outcome carries each get's record: 12 values at the limit make it ~12 MiB, several key/value
        // log pages. It must be stored (in parts), not refuse the apply.
        const int keys = 12;
        var values = Enumerable.Range(0, keys).Select(i => Filled(Limits.DefaultMaxValueBytes, (byte)('a' + i))).ToArray();
        var gets = Enumerable.Range(0, keys).Select(i => new TxnOperation(TxnOperationKind.Get, $"g/{i:D2}")).ToList();
        var txn = new TxnCommand([], gets, []) with { IdempotencyKey = "big-outcome", LeaderTimeMs = 1_000 };
        long index = 0;
        using (var sm = new KeyValueStateMachine(Options()))
        {
            for (var i = 0; i < keys; i++)
                Assert.Equal(CommandStatus.Applied, sm.Apply(++index, 1, TxnCommand.Put($"g/{i:D2}", values[i], ValueFormat.Raw))!.Status);
            var first = sm.Apply(++index, 1, txn)!;
            Assert.Equal(CommandStatus.Applied, first.Status);
            Assert.False(first.Replayed);
            Assert.Equal(values[keys - 1], first.Operations[keys - 1].Records![0].Value);
            var retry = sm.Apply(++index, 1, txn)!;
            Assert.True(retry.Replayed);
            Assert.Equal(values[3], retry.Operations[3].Records![0].Value);
            await sm.CheckpointAsync(CancellationToken.None);
        }

        using var reopened = new KeyValueStateMachine(Options());
        var afterReopen = reopened.Apply(++index, 1, txn)!;
        Assert.True(afterReopen.Replayed);
        Assert.Equal(Enumerable.Range(0, keys).Select(i => values[i]), afterReopen.Operations.Select(o => o.Records![0].Value));
    }

    private static void Fill(KeyValueStateMachine sm, string prefix, int count, ref long index, long lease = 0)
    {
        for (var start = 0; start < count; start += Limits.MaxTxnOperations)
        {
            var ops = Enumerable.Range(start, Math.Min(Limits.MaxTxnOperations, count - start))
                .Select(i => new TxnOperation(TxnOperationKind.Put, $"{prefix}{i:D7}", "1"u8.ToArray(), Lease: lease))
                .ToList();
            Assert.Equal(CommandStatus.Applied, sm.Apply(++index, 1, new TxnCommand([], ops, []))!.Status);
        }
    }

    [Fact]
    public async Task A_prefix_delete_of_100000_keys_applies_at_one_revision_with_every_tombstone_in_the_history()
    {
        const int count = 100_000;
        using var sm = new KeyValueStateMachine(Options());
        long index = 0;
        Fill(sm, "many/", count, ref index);
        sm.Apply(++index, 1, TxnCommand.Put("other", "2"u8.ToArray()));
        Assert.Equal(count + 1, sm.KeyCount);

        var result = sm.Apply(++index, 1, new TxnCommand([], [new TxnOperation(TxnOperationKind.DeletePrefix, "many/")], []))!;
        Assert.Equal(CommandStatus.Applied, result.Status);
        Assert.Equal(count, result.Operations[0].Deleted);
        Assert.Equal(1, sm.KeyCount);
        await sm.CommitHistoryAsync(CancellationToken.None);
        var deletion = Assert.Single(sm.ReadHistory(result.Revision, 10));
        Assert.Equal(count, deletion.Events.Count);
        Assert.All(deletion.Events, e => Assert.Equal(HistoryEventKind.Delete, e.Kind));
    }

    [Fact]
    public async Task Revoking_a_lease_with_100000_keys_deletes_them_all_at_one_revision()
    {
        const int count = 100_000;
        using var sm = new KeyValueStateMachine(Options());
        long index = 1;
        var lease = sm.Apply(index, 1, new LeaseGrantCommand(0, 60_000))!.Lease!.Id;
        Fill(sm, "leased/", count, ref index, lease);
        Assert.Equal(count, sm.LeaseKeys(lease).Count);

        var revoked = sm.Apply(++index, 1, new LeaseRevokeCommand(lease))!;
        Assert.Equal(CommandStatus.Applied, revoked.Status);
        Assert.Equal(count, revoked.Operations[0].Deleted);
        Assert.Equal(0, sm.KeyCount);
        await sm.CommitHistoryAsync(CancellationToken.None);
        Assert.Equal(count, Assert.Single(sm.ReadHistory(revoked.Revision, 10)).Events.Count);
    }

    [Fact]
    public void A_command_whose_logic_throws_part_way_is_recorded_as_rejected_with_nothing_written()
    {
        using var sm = new KeyValueStateMachine(Options());
        var lease = sm.Apply(1, 1, new LeaseGrantCommand(0, 60_000))!.Lease!.Id;
        sm.Apply(2, 1, TxnCommand.Put("kept", "1"u8.ToArray(), lease: lease));
        sm.Apply(3, 1, new LockAcquireCommand("door", lease, "me", Wait: false));
        var revisionBefore = sm.Revision;

        // The defect strikes part-way: the revoke has already dropped the lease from memory and staged the deletion
        // of its record when its second staged write (the leased key's deletion) throws.
        sm.ThrowAfterStagedWrites = 2;
        var result = sm.Apply(4, 1, new LeaseRevokeCommand(lease))!;
        Assert.Equal(CommandStatus.Rejected, result.Status);
        Assert.Contains("Injected defect", result.Error);
        Assert.Equal(4, sm.AppliedIndex);
        Assert.Equal(revisionBefore, sm.Revision);
        Assert.NotNull(sm.GetLease(lease));
        Assert.Equal([ "kept" ], sm.LeaseKeys(lease));
        Assert.NotNull(sm.Get("kept"));
        Assert.Equal(lease, sm.GetLock("door")!.Holder!.Lease);

        // The member goes on: the same command applies on the unchanged state.
        sm.ThrowAfterStagedWrites = 0;
        var revoked = sm.Apply(5, 1, new LeaseRevokeCommand(lease))!;
        Assert.Equal(CommandStatus.Applied, revoked.Status);
        Assert.Null(sm.Get("kept"));
        Assert.Null(sm.GetLock("door"));
        Assert.Equal(revisionBefore + 1, sm.Revision);
    }

    [Fact]
    public void A_transaction_that_throws_part_way_leaves_no_partial_write()
    {
        using var sm = new KeyValueStateMachine(Options());
        sm.Apply(1, 1, TxnCommand.Put("a", "1"u8.ToArray()));
        var txn = new TxnCommand([], [new TxnOperation(TxnOperationKind.Put, "a", "2"u8.ToArray()), new TxnOperation(TxnOperationKind.Put, "b", "3"u8.ToArray())], []);
        sm.ThrowAfterStagedWrites = 2;
        var result = sm.Apply(2, 1, txn)!;
        Assert.Equal(CommandStatus.Rejected, result.Status);
        Assert.Equal("1", System.Text.Encoding.UTF8.GetString(sm.Get("a")!.Value));
        Assert.Null(sm.Get("b"));
        Assert.Equal(1, sm.Revision);
        Assert.Equal(1, sm.KeyCount);
        Assert.DoesNotContain(sm.Range("", null, 10, keysOnly: true).Records, r => r.Key == "b");
        sm.ThrowAfterStagedWrites = 0;
        Assert.Equal(2, sm.Apply(3, 1, txn)!.Revision);
        Assert.Equal(2, sm.KeyCount);
    }

    [Fact]
    public void A_storage_fault_escapes_apply_instead_of_being_recorded()
    {
        using var sm = new KeyValueStateMachine(Options(failWritesContaining: "broken"));
        sm.Apply(1, 1, TxnCommand.Put("fine", "1"u8.ToArray()));
        Assert.Throws<StorageFaultException>(() => sm.Apply(2, 1, TxnCommand.Put("broken", "1"u8.ToArray())));
        Assert.Equal(1, sm.AppliedIndex);
    }

    [Fact]
    public void A_lock_with_10000_waiters_queues_them_in_order_and_hands_over_in_order()
    {
        const int waiters = 10_000;
        using var sm = new KeyValueStateMachine(Options());
        long index = 0;
        var leases = new long[waiters + 1];
        for (var i = 0; i <= waiters; i++)
            leases[i] = sm.Apply(++index, 1, new LeaseGrantCommand(0, 60_000))!.Lease!.Id;
        for (var i = 0; i <= waiters; i++)
            Assert.Equal(CommandStatus.Applied, sm.Apply(++index, 1, new LockAcquireCommand("busy", leases[i], $"w{i}", Wait: true))!.Status);
        var queued = sm.GetLock("busy")!;
        Assert.Equal(leases[0], queued.Holder!.Lease);
        Assert.Equal(waiters, queued.Waiters.Count);
        Assert.Equal(leases[1..], queued.Waiters.Select(w => w.Lease));

        // An answer lists the first waiters and the total, however long the queue.
        var late = sm.Apply(++index, 1, new LeaseGrantCommand(0, 60_000))!.Lease!.Id;
        var answer = sm.Apply(++index, 1, new LockAcquireCommand("busy", late, "late", Wait: true))!.Lock!;
        Assert.Equal(LockRecord.WaitersInAnswers, answer.Waiters.Count);
        Assert.Equal(waiters + 1, answer.WaiterCount);
        var roundTrip = CommandResultCodec.Decode(CommandResultCodec.Encode(new CommandResult(CommandStatus.Applied, 1, true, [], Lock: answer)));
        Assert.Equal(waiters + 1, roundTrip.Lock!.WaiterCount);
        Assert.Equal(answer.Waiters, roundTrip.Lock.Waiters);

        // Releases hand the lock to the waiters in the order they queued.
        for (var i = 0; i < 100; i++)
        {
            var released = sm.Apply(++index, 1, new LockReleaseCommand("busy", leases[i], 0))!;
            Assert.Equal(leases[i + 1], released.Lock!.Holder!.Lease);
        }
    }

    [Fact]
    public async Task A_long_lock_queue_survives_a_checkpoint_and_reopen_in_order()
    {
        long index = 0;
        long[] leases;
        using (var sm = new KeyValueStateMachine(Options()))
        {
            leases = Enumerable.Range(0, 500).Select(_ => sm.Apply(++index, 1, new LeaseGrantCommand(0, 60_000))!.Lease!.Id).ToArray();
            foreach (var lease in leases)
                sm.Apply(++index, 1, new LockAcquireCommand("q", lease, $"o{lease}", Wait: true));
            // Leaving from the middle and handing over both rewrite only what changed.
            sm.Apply(++index, 1, new LockReleaseCommand("q", leases[250], 0, OnlyIfWaiting: true));
            sm.Apply(++index, 1, new LockReleaseCommand("q", leases[0], 0));
            await sm.CheckpointAsync(CancellationToken.None);
        }

        using var reopened = new KeyValueStateMachine(Options());
        var record = reopened.GetLock("q")!;
        Assert.Equal(leases[1], record.Holder!.Lease);
        Assert.Equal(leases.Skip(2).Where(l => l != leases[250]), record.Waiters.Select(w => w.Lease));
        Assert.Equal($"o{leases[499]}", record.Waiters[^1].Owner);
        // Handing over after the reopen still follows the queue, and the index of leases to locks is intact.
        var next = reopened.Apply(++index, 1, new LeaseRevokeCommand(leases[1]))!;
        Assert.Equal(CommandStatus.Applied, next.Status);
        Assert.Equal(leases[2], reopened.GetLock("q")!.Holder!.Lease);

    }

    public void Dispose() => dir.Dispose();
}
