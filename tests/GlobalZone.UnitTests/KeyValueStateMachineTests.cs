using System.Text;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;
using GlobalZone.Storage;

namespace GlobalZone.UnitTests;

public sealed class KeyValueStateMachineTests : IDisposable
{
    private readonly TempDirectory dir = new();

    private StorageOptions Options(string name = "a") => new() { Directory = Path.Combine(dir.Path, name), KeyValueMemoryBytes = 1 << 22, KeyValueIndexBytes = 1 << 16, HistoryMemoryBytes = 1 << 22 };

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void PutsGetsAndDeletesCountOneRevisionEachWrite()
    {
        using var sm = new KeyValueStateMachine(Options());
        var r1 = sm.Apply(1, 1, TxnCommand.Put("a", Json("1")))!;
        var r2 = sm.Apply(2, 1, TxnCommand.Put("a", Json("2")))!;
        var r3 = sm.Apply(3, 1, TxnCommand.Put("b", Json("\"x\"")))!;
        Assert.Equal([1L, 2L, 3L], new[] { r1.Revision, r2.Revision, r3.Revision });

        var a = sm.Get("a")!;
        Assert.Equal("2", Encoding.UTF8.GetString(a.Value));
        Assert.Equal(1, a.CreateRevision);
        Assert.Equal(2, a.ModRevision);
        Assert.Equal(2, a.Version);

        var deleted = sm.Apply(4, 1, TxnCommand.Delete("a"))!;
        Assert.Equal(4, deleted.Revision);
        Assert.Equal(1, deleted.Operations[0].Deleted);
        Assert.Null(sm.Get("a"));

        // Deleting what is absent changes nothing and does not bump the revision.
        var noop = sm.Apply(5, 1, TxnCommand.Delete("a"))!;
        Assert.Equal(4, noop.Revision);
        Assert.Equal(0, noop.Operations[0].Deleted);
        Assert.Equal(5, sm.AppliedIndex);
    }

    [Fact]
    public void ReplayedIndexIsIgnored()
    {
        using var sm = new KeyValueStateMachine(Options());
        Assert.NotNull(sm.Apply(1, 1, TxnCommand.Put("a", Json("1"))));
        Assert.Null(sm.Apply(1, 1, TxnCommand.Put("a", Json("1"))));
        Assert.Equal(1, sm.Get("a")!.Version);
    }

    [Fact]
    public void CompareAndSetTakesTheBranchTheStateSays()
    {
        using var sm = new KeyValueStateMachine(Options());
        sm.Apply(1, 1, TxnCommand.Put("k", Json("1")));
        var cas = new TxnCommand(
            [new Compare("k", CompareTarget.ModRevision, CompareOperator.Equal, 1)],
            [new TxnOperation(TxnOperationKind.Put, "k", Json("2")), new TxnOperation(TxnOperationKind.Put, "other", Json("3"))],
            [new TxnOperation(TxnOperationKind.Get, "k")]);
        var first = sm.Apply(2, 1, cas)!;
        Assert.True(first.Succeeded);
        Assert.Equal(2, first.Revision);
        // Both puts of one transaction share one revision.
        Assert.Equal(2, sm.Get("k")!.ModRevision);
        Assert.Equal(2, sm.Get("other")!.ModRevision);

        var second = sm.Apply(3, 1, cas)!;
        Assert.False(second.Succeeded);
        Assert.Equal(2, second.Revision);
        Assert.Equal("2", Encoding.UTF8.GetString(second.Operations[0].Records![0].Value));

        var createIfAbsent = new TxnCommand([new Compare("k", CompareTarget.CreateRevision, CompareOperator.Equal, 0)], [new TxnOperation(TxnOperationKind.Put, "k", Json("9"))], []);
        Assert.False(sm.Apply(4, 1, createIfAbsent)!.Succeeded);
        Assert.Equal("2", Encoding.UTF8.GetString(sm.Get("k")!.Value));
    }

    [Fact]
    public void MalformedCommandIsRecordedAsRejectedWithoutThrowing()
    {
        using var sm = new KeyValueStateMachine(Options());
        var result = sm.Apply(1, 1, CommandCodec.TryDecode(new([1, 99, 0])))!;
        Assert.Equal(CommandStatus.Rejected, result.Status);
        Assert.Equal(1, sm.AppliedIndex);
        Assert.Equal(0, sm.Revision);
    }

    [Fact]
    public void RangeListsByPrefixInOrderWithACursor()
    {
        using var sm = new KeyValueStateMachine(Options());
        long i = 0;
        foreach (var key in new[] { "app/b", "app/a", "apq", "app/c", "ap" })
            sm.Apply(++i, 1, TxnCommand.Put(key, Json("0")));
        var page1 = sm.Range("app/", after: null, limit: 2, keysOnly: false);
        Assert.Equal(["app/a", "app/b"], page1.Records.Select(r => r.Key));
        Assert.True(page1.More);
        var page2 = sm.Range("app/", after: "app/b", limit: 2, keysOnly: true);
        Assert.Equal(["app/c"], page2.Records.Select(r => r.Key));
        Assert.False(page2.More);
        Assert.Empty(page2.Records[0].Value);
        Assert.Equal(5, sm.Range("", null, 100, true).Records.Count);
    }

    [Fact]
    public async Task CheckpointSurvivesReopenAndHistoryIsReadable()
    {
        using (var sm = new KeyValueStateMachine(Options()))
        {
            for (var i = 1; i <= 50; i++)
                sm.Apply(i, 2, TxnCommand.Put("key" + (i % 7), Json(i.ToString())));
            await sm.CheckpointAsync(CancellationToken.None);
            Assert.Equal(50, sm.SnapshotIndex);
            // Applied after the checkpoint: lost from FASTER on reopen, to be replayed from the Raft WAL.
            sm.Apply(51, 2, TxnCommand.Put("late", Json("1")));
        }

        using var reopened = new KeyValueStateMachine(Options());
        Assert.Equal(50, reopened.AppliedIndex);
        Assert.Equal(50, reopened.SnapshotIndex);
        Assert.Equal(2, reopened.SnapshotTerm);
        Assert.Equal(50, reopened.Revision);
        Assert.Equal("50", Encoding.UTF8.GetString(reopened.Get("key1")!.Value));
        Assert.Null(reopened.Get("late"));
        Assert.Equal(7, reopened.KeyCount);

        var history = reopened.ReadHistory(10, 5);
        Assert.Equal([10L, 11, 12, 13, 14], history.Select(h => h.Revision));
        Assert.Equal("key3", history[0].Events[0].Record.Key);

        // The replayed entry applies again and the history continues without a gap.
        Assert.NotNull(reopened.Apply(51, 2, TxnCommand.Put("late", Json("1"))));
        await reopened.CommitHistoryAsync(CancellationToken.None);
        Assert.Equal([50L, 51], reopened.ReadHistory(50, 10).Select(h => h.Revision));
    }

    [Fact]
    public async Task An_installed_snapshot_indexes_the_end_state_of_records_set_again_or_deleted_along_the_stream()
    {
        // As the writes made during a dump arrive after the scanned records: a leased key moves to another lease, a
        // leased key and a plain key are deleted, a key comes back, a lease is replaced by a later version of itself.
        using var stream = new MemoryStream();
        var header = new byte[28];
        "GZS2"u8.CopyTo(header);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(4), 30);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(12), 2);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(20), 30);
        stream.Write(header);
        void Record(string storageKey, byte[]? value)
        {
            stream.WriteByte(value is null ? (byte)2 : (byte)1);
            var key = Encoding.UTF8.GetBytes(storageKey);
            stream.Write(BitConverter.GetBytes(key.Length));
            stream.Write(key);
            if (value is null)
                return;
            stream.Write(BitConverter.GetBytes(value.Length));
            stream.Write(value);
        }

        byte[] Key(string key, long lease) => new KeyRecord(key, 1, 1, 1, lease, ValueFormat.Json, Json("1")).Encode();
        Record(StorageKeys.ForLease(7), new LeaseRecord(7, 60_000, 1, 1).Encode());
        Record(StorageKeys.ForLease(8), new LeaseRecord(8, 60_000, 2, 2).Encode());
        Record("kmoves", Key("moves", 7));
        Record("kstays", Key("stays", 7));
        Record("kgone", Key("gone", 7));
        Record("kplain", Key("plain", 0));
        Record("kback", Key("back", 0));
        // The tail: written while the sender scanned.
        Record("kmoves", Key("moves", 8));
        Record("kgone", null);
        Record("kplain", null);
        Record("kback", null);
        Record("kback", Key("back", 8));
        Record(StorageKeys.ForLease(8), new LeaseRecord(8, 90_000, 2, 25).Encode());
        stream.WriteByte(0);
        stream.Position = 0;

        using var target = new KeyValueStateMachine(Options("dst"));
        target.Apply(1, 1, TxnCommand.Put("stale", Json("1")));
        Assert.Equal(30, await target.InstallSnapshotAsync(stream, 30, 2, CancellationToken.None));
        Assert.Equal(["back", "moves", "stays"], target.Range("", null, 100, keysOnly: true).Records.Select(k => k.Key));
        Assert.Equal(3, target.KeyCount);
        Assert.Equal(["stays"], target.LeaseKeys(7));
        Assert.Equal(["back", "moves"], target.LeaseKeys(8));
        Assert.Equal(90_000, target.GetLease(8)!.TtlMs);
    }

    [Fact]
    public async Task SnapshotStreamRebuildsAnotherMember()
    {
        using var source = new KeyValueStateMachine(Options("src"));
        for (var i = 1; i <= 20; i++)
            source.Apply(i, 3, TxnCommand.Put("k" + i, Json(i.ToString())));
        source.Apply(21, 3, TxnCommand.Delete("k5"));
        using var stream = new MemoryStream();
        Assert.Equal(21, source.WriteSnapshot(stream));

        using var target = new KeyValueStateMachine(Options("dst"));
        target.Apply(1, 1, TxnCommand.Put("stale", Json("1")));
        stream.Position = 0;
        // Sent as index 15 (the sender's checkpoint) but holding state up to 21.
        Assert.Equal(21, await target.InstallSnapshotAsync(stream, 15, 3, CancellationToken.None));
        Assert.Null(target.Get("stale"));
        Assert.Null(target.Get("k5"));
        Assert.Equal("7", Encoding.UTF8.GetString(target.Get("k7")!.Value));
        Assert.Equal(source.Revision, target.Revision);
        Assert.Equal(19, target.KeyCount);
        Assert.Equal(15, target.SnapshotIndex);
        Assert.Equal(21, target.AppliedIndex);
        // Entries 16..21 arrive again from the leader's log and are already reflected.
        Assert.Null(target.Apply(16, 3, TxnCommand.Put("k16", Json("16"))));
        Assert.Equal(22, target.Apply(22, 3, TxnCommand.Put("k1", Json("x")))!.Revision);
    }

    public void Dispose() => dir.Dispose();
}
