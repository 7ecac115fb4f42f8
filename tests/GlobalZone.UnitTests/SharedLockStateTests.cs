using System.Buffers;
using System.Text;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;
using GlobalZone.Storage;

namespace GlobalZone.UnitTests;

/// <summary>Reader-writer locks and semaphores as the replicated state applies them.</summary>
public sealed class SharedLockStateTests : IDisposable
{
    private readonly TempDirectory dir = new();
    private long index;

    private StorageOptions Options(string name = "a") => new() { Directory = Path.Combine(dir.Path, name), KeyValueMemoryBytes = 1 << 22, KeyValueIndexBytes = 1 << 16, HistoryMemoryBytes = 1 << 22 };

    private CommandResult Apply(KeyValueStateMachine sm, Command command) => sm.Apply(++index, 1, command)!;

    private long Grant(KeyValueStateMachine sm) => Apply(sm, new LeaseGrantCommand(0, 10_000)).Lease!.Id;

    private static LockAcquireCommand Read(string name, long lease, bool wait = true) => new(name, lease, $"r{lease}", wait) { Mode = LockMode.Read };

    private static LockAcquireCommand Write(string name, long lease, bool wait = true) => new(name, lease, $"w{lease}", wait) { Mode = LockMode.Write };

    private static LockAcquireCommand Permit(string name, long lease, int limit, bool wait = true) => new(name, lease, $"p{lease}", wait) { Mode = LockMode.Permit, Limit = limit };

    private static long[] Holders(KeyValueStateMachine sm, string name) => sm.GetLock(name)?.Holders.Select(h => h.Lease).ToArray() ?? [];

    [Fact]
    public void ReadersShareAndAWaitingWriterHoldsBackLaterReaders()
    {
        using var sm = new KeyValueStateMachine(Options());
        var (r1, r2, w, r3) = (Grant(sm), Grant(sm), Grant(sm), Grant(sm));
        Assert.True(Apply(sm, Read("RW", r1)).Succeeded);
        Assert.True(Apply(sm, Read("RW", r2)).Succeeded);
        Assert.False(Apply(sm, Write("RW", w)).Succeeded);
        // The writer waits, so a reader arriving after it waits too, though readers hold the lock.
        Assert.False(Apply(sm, Read("RW", r3)).Succeeded);
        Assert.Equal([r1, r2], Holders(sm, "RW"));
        Assert.Equal([w, r3], sm.GetLock("RW")!.Waiters.Select(x => x.Lease));

        Apply(sm, new LockReleaseCommand("RW", r1, 0));
        Assert.Equal([r2], Holders(sm, "RW"));
        var released = Apply(sm, new LockReleaseCommand("RW", r2, 0));
        Assert.Equal([w], released.Lock!.Holders.Select(h => h.Lease));
        Assert.Equal(LockMode.Write, released.Lock.Holders[0].Mode);
        var writerToken = released.Lock.Holders[0].FencingToken;

        var afterWriter = Apply(sm, new LockReleaseCommand("RW", w, 0)).Lock!;
        Assert.Equal([r3], afterWriter.Holders.Select(h => h.Lease));
        Assert.True(afterWriter.Holders[0].FencingToken > writerToken);
    }

    [Fact]
    public void ReadersBehindAReleasedWriterAreGrantedTogetherWithGrowingTokens()
    {
        using var sm = new KeyValueStateMachine(Options());
        var (w, r1, r2, w2) = (Grant(sm), Grant(sm), Grant(sm), Grant(sm));
        var writer = Apply(sm, Write("RW", w)).Lock!.Holders[0].FencingToken;
        Apply(sm, Read("RW", r1));
        Apply(sm, Read("RW", r2));
        Apply(sm, Write("RW", w2));
        var after = Apply(sm, new LeaseRevokeCommand(w));
        Assert.Equal(CommandStatus.Applied, after.Status);
        var record = sm.GetLock("RW")!;
        Assert.Equal([r1, r2], record.Holders.Select(h => h.Lease));
        Assert.True(record.Holders[0].FencingToken > writer);
        Assert.True(record.Holders[1].FencingToken > record.Holders[0].FencingToken);
        Assert.Equal([w2], record.Waiters.Select(x => x.Lease));
    }

    [Fact]
    public void ASemaphoreGrantsUpToItsLimitInArrivalOrderAndLeaseExpiryPassesPermitsOn()
    {
        using var sm = new KeyValueStateMachine(Options());
        var leases = Enumerable.Range(0, 5).Select(_ => Grant(sm)).ToArray();
        var granted = leases.Select(l => Apply(sm, Permit("S", l, 3)).Succeeded).ToArray();
        Assert.Equal([true, true, true, false, false], granted);
        Assert.Equal(leases[..3], Holders(sm, "S"));
        Assert.False(Apply(sm, Permit("S", Grant(sm), 3, wait: false)).Succeeded);

        Apply(sm, new LeaseExpireCommand([new LeaseExpiry(leases[1], sm.GetLease(leases[1])!.RenewIndex)]));
        Assert.Equal([leases[0], leases[2], leases[3]], Holders(sm, "S"));
        var tokens = sm.GetLock("S")!.Holders.Select(h => h.FencingToken).ToArray();
        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal([leases[4]], sm.GetLock("S")!.Waiters.Select(x => x.Lease));
    }

    [Fact]
    public void ANameIsOneKindAtATimeAndALeaseCannotChangeItsMode()
    {
        using var sm = new KeyValueStateMachine(Options());
        var (a, b) = (Grant(sm), Grant(sm));
        Assert.True(Apply(sm, Permit("S", a, 2)).Succeeded);
        Assert.Equal(CommandStatus.Conflict, Apply(sm, Permit("S", b, 3)).Status);
        Assert.Equal(CommandStatus.Conflict, Apply(sm, Read("S", b)).Status);
        Assert.Equal(CommandStatus.Conflict, Apply(sm, new LockAcquireCommand("S", b, "", false)).Status);
        Assert.Equal(CommandStatus.Rejected, Apply(sm, Permit("Z", b, 0)).Status);

        Assert.True(Apply(sm, Read("RW", a)).Succeeded);
        Assert.Equal(CommandStatus.Conflict, Apply(sm, Write("RW", a)).Status);
        Assert.True(Apply(sm, Read("RW", a)).Succeeded); // asking again in the same mode repeats the grant

        // Once nobody holds or awaits it, the name is free for another kind.
        Apply(sm, new LockReleaseCommand("S", a, 0));
        Assert.Null(sm.GetLock("S"));
        Assert.True(Apply(sm, new LockAcquireCommand("S", b, "", false)).Lock!.Holder is not null);
    }

    [Fact]
    public void AFencedWriteAppliesOnlyWithACurrentGrantOfAnyHolder()
    {
        using var sm = new KeyValueStateMachine(Options());
        var (a, b) = (Grant(sm), Grant(sm));
        var tokenA = Apply(sm, Permit("S", a, 2)).Lock!.Holders[0].FencingToken;
        var tokenB = Apply(sm, Permit("S", b, 2)).Lock!.HolderOf(b)!.FencingToken;
        Assert.Equal(CommandStatus.Applied, Apply(sm, TxnCommand.Put("g", Encoding.UTF8.GetBytes("1")) with { Fence = new Fence("S", tokenA) }).Status);
        Assert.Equal(CommandStatus.Applied, Apply(sm, TxnCommand.Put("g", Encoding.UTF8.GetBytes("2")) with { Fence = new Fence("S", tokenB) }).Status);

        Apply(sm, new LockReleaseCommand("S", 0, tokenA));
        var stale = Apply(sm, TxnCommand.Put("g", Encoding.UTF8.GetBytes("3")) with { Fence = new Fence("S", tokenA) });
        Assert.Equal(CommandStatus.Fenced, stale.Status);
        Assert.Contains(tokenB.ToString(System.Globalization.CultureInfo.InvariantCulture), stale.Error, StringComparison.Ordinal);
        Assert.Equal("2", Encoding.UTF8.GetString(sm.Get("g")!.Value));
    }

    [Fact]
    public void WaiterCapsCountSharedWaitersLikeLockWaiters()
    {
        using var sm = new KeyValueStateMachine(Options());
        var (w, r1, r2) = (Grant(sm), Grant(sm), Grant(sm));
        Apply(sm, Write("RW", w));
        Assert.Equal(CommandStatus.Applied, Apply(sm, Read("RW", r1) with { MaxWaitersPerLock = 1 }).Status);
        var refused = Apply(sm, Read("RW", r2) with { MaxWaitersPerLock = 1 });
        Assert.Equal(CommandStatus.LimitReached, refused.Status);
        Assert.Equal(1, sm.LockWaiterCount);
    }

    [Fact]
    public void AnIdempotentRetryOfALostGrantIsSuperseded()
    {
        using var sm = new KeyValueStateMachine(Options());
        var a = Grant(sm);
        var acquire = Read("RW", a) with { IdempotencyKey = "rw-1", LeaderTimeMs = 1 };
        Assert.True(Apply(sm, acquire).Succeeded);
        Assert.True(Apply(sm, acquire with { LeaderTimeMs = 2 }).Replayed);
        Apply(sm, new LockReleaseCommand("RW", a, 0));
        Assert.Equal(CommandStatus.Superseded, Apply(sm, acquire with { LeaderTimeMs = 3 }).Status);
    }

    [Fact]
    public void SharedLocksRoundTripThroughTheResultCodec()
    {
        var record = new LockRecord("S", null, [new LockWaiter(4, "you", 12) { Mode = LockMode.Permit }])
        {
            Kind = LockKind.Semaphore,
            Limit = 2,
            Holders = [new LockHolder(3, "me", 17, 11) { Mode = LockMode.Permit }, new LockHolder(5, "", 18, 13) { Mode = LockMode.Permit }],
        };
        var decoded = CommandResultCodec.Decode(CommandResultCodec.Encode(new CommandResult(CommandStatus.Applied, 9, true, [], Lock: record))).Lock!;
        Assert.Equal(LockKind.Semaphore, decoded.Kind);
        Assert.Equal(2, decoded.Limit);
        Assert.Equal(record.Holders, decoded.Holders);
        Assert.Equal(record.Waiters, decoded.Waiters);
        // An exclusive lock keeps the older layout, byte for byte: its has-holder flag is 0 or 1.
        var exclusive = new LockRecord("L", new LockHolder(3, "me", 17, 11), []).Encode();
        Assert.Equal(1, exclusive[2]);
        Assert.Null(CommandCodec.TryDecode(new ReadOnlySequence<byte>([])));
    }

    [Fact]
    public async Task SharedLocksTravelInSnapshotsAndCheckpoints()
    {
        using var source = new KeyValueStateMachine(Options("src"));
        var (r, w, r2, p1, p2) = (Grant(source), Grant(source), Grant(source), Grant(source), Grant(source));
        Apply(source, Read("RW", r));
        Apply(source, Write("RW", w));
        Apply(source, Read("RW", r2));
        Apply(source, Permit("S", p1, 1));
        Apply(source, Permit("S", p2, 1));
        var lastToken = source.GetLock("S")!.Holders[0].FencingToken;

        using var stream = new MemoryStream();
        source.WriteSnapshot(stream);
        stream.Position = 0;
        using var target = new KeyValueStateMachine(Options("dst"));
        await target.InstallSnapshotAsync(stream, index, 1, CancellationToken.None);
        Verify(target);

        await source.CheckpointAsync(CancellationToken.None);
        source.Dispose();
        using var reopened = new KeyValueStateMachine(Options("src"));
        Verify(reopened);

        void Verify(KeyValueStateMachine sm)
        {
            var rw = sm.GetLock("RW")!;
            Assert.Equal(LockKind.ReaderWriter, rw.Kind);
            Assert.Equal([r], rw.Holders.Select(h => h.Lease));
            Assert.Equal([(w, LockMode.Write), (r2, LockMode.Read)], rw.Waiters.Select(x => (x.Lease, x.Mode)));
            var s = sm.GetLock("S")!;
            Assert.Equal((LockKind.Semaphore, 1), (s.Kind, s.Limit));
            Assert.Equal([p2], s.Waiters.Select(x => x.Lease));
            Assert.Equal(3, sm.LockWaiterCount);
            // The queues and the lease index came along: ending the holders grants the waiters, with newer tokens.
            sm.Apply(++index, 1, new LeaseRevokeCommand(r));
            Assert.Equal((w, LockMode.Write), (sm.GetLock("RW")!.Holders[0].Lease, sm.GetLock("RW")!.Holders[0].Mode));
            sm.Apply(++index, 1, new LeaseRevokeCommand(p1));
            Assert.Equal(p2, sm.GetLock("S")!.Holders[0].Lease);
            Assert.True(sm.GetLock("S")!.Holders[0].FencingToken > lastToken);
        }
    }

    public void Dispose() => dir.Dispose();
}
