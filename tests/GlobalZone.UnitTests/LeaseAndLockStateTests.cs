using System.Text;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;
using GlobalZone.Storage;

namespace GlobalZone.UnitTests;

/// <summary>Leases, locks, fencing and idempotency as the replicated state applies them.</summary>
public sealed class LeaseAndLockStateTests : IDisposable
{
    private readonly TempDirectory dir = new();
    private long index;

    private StorageOptions Options(string name = "a") => new() { Directory = Path.Combine(dir.Path, name), KeyValueMemoryBytes = 1 << 22, KeyValueIndexBytes = 1 << 16, HistoryMemoryBytes = 1 << 22 };

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    private CommandResult Apply(KeyValueStateMachine sm, Command command) => sm.Apply(++index, 1, command)!;

    private long Grant(KeyValueStateMachine sm, long ttlMs = 10_000) => Apply(sm, new LeaseGrantCommand(0, ttlMs)).Lease!.Id;

    [Fact]
    public void RevokingALeaseDeletesItsKeysAtOneRevisionAndLeavesOthers()
    {
        using var sm = new KeyValueStateMachine(Options());
        var lease = Grant(sm);
        Apply(sm, TxnCommand.Put("a", Json("1"), lease: lease));
        Apply(sm, TxnCommand.Put("b", Json("2"), lease: lease));
        Apply(sm, TxnCommand.Put("c", Json("3")));
        // Re-put without a lease detaches the key (etcd semantics).
        Apply(sm, TxnCommand.Put("b", Json("4")));
        Assert.Equal(["a"], sm.LeaseKeys(lease));

        var revoked = Apply(sm, new LeaseRevokeCommand(lease));
        Assert.Equal(CommandStatus.Applied, revoked.Status);
        Assert.Equal(5, revoked.Revision);
        Assert.Null(sm.Get("a"));
        Assert.NotNull(sm.Get("b"));
        Assert.NotNull(sm.Get("c"));
        Assert.Null(sm.GetLease(lease));
        Assert.Equal(CommandStatus.NotFound, Apply(sm, new LeaseKeepAliveCommand(lease)).Status);
    }

    [Fact]
    public void PutOnAMissingLeaseChangesNothing()
    {
        using var sm = new KeyValueStateMachine(Options());
        var result = Apply(sm, TxnCommand.Put("a", Json("1"), lease: 77));
        Assert.Equal(CommandStatus.NotFound, result.Status);
        Assert.Null(sm.Get("a"));
        Assert.Equal(0, sm.Revision);
    }

    [Fact]
    public void ExpiryLosesToARenewalThatOvertookIt()
    {
        using var sm = new KeyValueStateMachine(Options());
        var lease = Grant(sm);
        var grantIndex = sm.GetLease(lease)!.RenewIndex;
        Apply(sm, TxnCommand.Put("k", Json("1"), lease: lease));
        Apply(sm, new LeaseKeepAliveCommand(lease));
        // The leader decided from the grant, but a keep-alive committed first: the lease lives.
        var stale = Apply(sm, new LeaseExpireCommand([new LeaseExpiry(lease, grantIndex)]));
        Assert.False(stale.Succeeded);
        Assert.NotNull(sm.GetLease(lease));
        Assert.NotNull(sm.Get("k"));

        var current = Apply(sm, new LeaseExpireCommand([new LeaseExpiry(lease, sm.GetLease(lease)!.RenewIndex)]));
        Assert.True(current.Succeeded);
        Assert.Null(sm.GetLease(lease));
        Assert.Null(sm.Get("k"));
    }

    [Fact]
    public void LockWaitersAreServedInArrivalOrderWithGrowingTokens()
    {
        using var sm = new KeyValueStateMachine(Options());
        var (a, b, c) = (Grant(sm), Grant(sm), Grant(sm));
        var first = Apply(sm, new LockAcquireCommand("L", a, "a", Wait: false));
        Assert.True(first.Succeeded);
        var tokenA = first.Lock!.Holder!.FencingToken;

        Assert.False(Apply(sm, new LockAcquireCommand("L", c, "c", Wait: false)).Succeeded);
        Assert.Empty(sm.GetLock("L")!.Waiters);
        Assert.False(Apply(sm, new LockAcquireCommand("L", b, "b", Wait: true)).Succeeded);
        Assert.False(Apply(sm, new LockAcquireCommand("L", c, "c", Wait: true)).Succeeded);
        Assert.Equal([b, c], sm.GetLock("L")!.Waiters.Select(w => w.Lease));
        // Re-acquiring a held lock returns the same grant.
        Assert.Equal(tokenA, Apply(sm, new LockAcquireCommand("L", a, "a", Wait: false)).Lock!.Holder!.FencingToken);

        // A waiter giving up never releases a grant: b is only queued, so it leaves; a holds, so it keeps the lock.
        Assert.True(Apply(sm, new LockReleaseCommand("L", c, 0, OnlyIfWaiting: true)).Succeeded);
        Assert.False(Apply(sm, new LockReleaseCommand("L", a, 0, OnlyIfWaiting: true)).Succeeded);
        Assert.Equal(a, sm.GetLock("L")!.Holder!.Lease);
        Apply(sm, new LockAcquireCommand("L", c, "c", Wait: true));

        // A wrong token does not release.
        Assert.Equal(CommandStatus.Conflict, Apply(sm, new LockReleaseCommand("L", 0, tokenA + 100)).Status);
        var released = Apply(sm, new LockReleaseCommand("L", a, tokenA));
        Assert.Equal(b, released.Lock!.Holder!.Lease);
        var tokenB = released.Lock.Holder.FencingToken;
        Assert.True(tokenB > tokenA);

        // The holder's lease expiring hands the lock on as well.
        Apply(sm, new LeaseExpireCommand([new LeaseExpiry(b, sm.GetLease(b)!.RenewIndex)]));
        var held = sm.GetLock("L")!;
        Assert.Equal(c, held.Holder!.Lease);
        Assert.True(held.Holder.FencingToken > tokenB);
        Assert.Empty(held.Waiters);

        Apply(sm, new LeaseRevokeCommand(c));
        Assert.Null(sm.GetLock("L"));
        // Granted again later, the token still grows.
        var d = Grant(sm);
        Assert.True(Apply(sm, new LockAcquireCommand("L", d, "d", Wait: false)).Lock!.Holder!.FencingToken > held.Holder.FencingToken);
    }

    [Fact]
    public void LeasesEndingTogetherDoNotHandTheLockToEachOther()
    {
        using var sm = new KeyValueStateMachine(Options());
        var (a, b, c) = (Grant(sm), Grant(sm), Grant(sm));
        Apply(sm, new LockAcquireCommand("L", a, "a", Wait: false));
        Apply(sm, new LockAcquireCommand("L", b, "b", Wait: true));
        Apply(sm, new LockAcquireCommand("L", c, "c", Wait: true));
        Apply(sm, new LeaseExpireCommand([new LeaseExpiry(a, sm.GetLease(a)!.RenewIndex), new LeaseExpiry(b, sm.GetLease(b)!.RenewIndex)]));
        var record = sm.GetLock("L")!;
        Assert.Equal(c, record.Holder!.Lease);
        Assert.Empty(record.Waiters);
    }

    [Fact]
    public void FencedWriteAppliesOnlyWithTheCurrentGrant()
    {
        using var sm = new KeyValueStateMachine(Options());
        var (a, b) = (Grant(sm), Grant(sm));
        var tokenA = Apply(sm, new LockAcquireCommand("L", a, "a", Wait: false)).Lock!.Holder!.FencingToken;
        Assert.Equal(CommandStatus.Applied, Apply(sm, TxnCommand.Put("guarded", Json("1")) with { Fence = new Fence("L", tokenA) }).Status);

        Apply(sm, new LeaseRevokeCommand(a));
        var tokenB = Apply(sm, new LockAcquireCommand("L", b, "b", Wait: false)).Lock!.Holder!.FencingToken;
        var stale = Apply(sm, TxnCommand.Put("guarded", Json("2")) with { Fence = new Fence("L", tokenA) });
        Assert.Equal(CommandStatus.Fenced, stale.Status);
        Assert.Equal(tokenB, stale.Lock!.Holder!.FencingToken);
        Assert.Equal("1", Encoding.UTF8.GetString(sm.Get("guarded")!.Value));
        Assert.Equal(CommandStatus.Fenced, Apply(sm, TxnCommand.Put("guarded", Json("3")) with { Fence = new Fence("other", tokenB) }).Status);
    }

    [Fact]
    public void IdempotentRetryRepeatsTheFirstOutcomeAndRefusesADifferentRequest()
    {
        using var sm = new KeyValueStateMachine(Options());
        var put = TxnCommand.Put("counter", Json("1")) with { IdempotencyKey = "op-1", LeaderTimeMs = 1_000 };
        var first = Apply(sm, put);
        var retry = Apply(sm, put with { LeaderTimeMs = 2_000 });
        Assert.False(first.Replayed);
        Assert.True(retry.Replayed);
        Assert.Equal(first.Revision, retry.Revision);
        Assert.Equal(1, sm.Get("counter")!.Version);
        Assert.Equal(1, sm.Revision);

        var reused = Apply(sm, TxnCommand.Put("counter", Json("2")) with { IdempotencyKey = "op-1", LeaderTimeMs = 3_000 });
        Assert.Equal(CommandStatus.IdempotencyKeyReused, reused.Status);
        Assert.Equal(1, sm.Get("counter")!.Version);

        Assert.Equal(1_000, sm.OldestIdempotencyRecordMs);
        Apply(sm, new IdempotencyCompactCommand(1_500));
        Assert.Equal(0, sm.IdempotencyRecordCount);
        // Forgotten: the same key now applies again.
        Assert.False(Apply(sm, put with { LeaderTimeMs = 4_000 }).Replayed);
        Assert.Equal(2, sm.Get("counter")!.Version);
    }

    [Fact]
    public async Task LeasesLocksCountersAndIdempotencyTravelInSnapshotsAndCheckpoints()
    {
        using var source = new KeyValueStateMachine(Options("src"));
        var (a, b) = (Grant(source), Grant(source));
        Apply(source, TxnCommand.Put("owned", Json("1"), lease: a));
        var token = Apply(source, new LockAcquireCommand("L", a, "a", Wait: false)).Lock!.Holder!.FencingToken;
        Apply(source, new LockAcquireCommand("L", b, "b", Wait: true));
        Apply(source, TxnCommand.Put("x", Json("1")) with { IdempotencyKey = "k1", LeaderTimeMs = 5 });

        using var stream = new MemoryStream();
        source.WriteSnapshot(stream);
        stream.Position = 0;
        using var target = new KeyValueStateMachine(Options("dst"));
        await target.InstallSnapshotAsync(stream, index, 1, CancellationToken.None);
        await VerifyAsync(target);

        await source.CheckpointAsync(CancellationToken.None);
        source.Dispose();
        using var reopened = new KeyValueStateMachine(Options("src"));
        await VerifyAsync(reopened);

        async Task VerifyAsync(KeyValueStateMachine sm)
        {
            Assert.Equal(["owned"], sm.LeaseKeys(a));
            Assert.Equal(token, sm.GetLock("L")!.Holder!.FencingToken);
            Assert.Equal([b], sm.GetLock("L")!.Waiters.Select(w => w.Lease));
            Assert.True(sm.Apply(++index, 1, TxnCommand.Put("x", Json("1")) with { IdempotencyKey = "k1", LeaderTimeMs = 9 })!.Replayed);
            // The counters came along: the next lease id and token do not repeat.
            Assert.True(sm.Apply(++index, 1, new LeaseGrantCommand(0, 1000))!.Lease!.Id > b);
            var revoked = sm.Apply(++index, 1, new LeaseRevokeCommand(a))!;
            Assert.Null(sm.Get("owned"));
            Assert.True(revoked.Status == CommandStatus.Applied);
            Assert.True(sm.GetLock("L")!.Holder!.FencingToken > token);
            await Task.CompletedTask;
        }
    }

    [Fact]
    public async Task MemberDescriptionsAreReplicatedStateThatSnapshotsAndCheckpointsCarry()
    {
        using var source = new KeyValueStateMachine(Options("members"));
        var revision = source.Revision;
        var described = Apply(source, new MemberDescribeCommand(new MemberDescription("dc1-z", "http://127.0.0.9:7109/some/path", "dc1", "voter")));
        Assert.Equal(CommandStatus.Applied, described.Status);
        Assert.Equal(revision, source.Revision); // naming a member is not a key revision
        // Descriptions are keyed by the URL's authority, and a newer one replaces the older.
        Apply(source, new MemberDescribeCommand(new MemberDescription("dc1-z", "http://127.0.0.9:7109", "dc1", "witness")));
        Assert.Equal("witness", source.MemberDescriptions["http://127.0.0.9:7109"].Role);
        Assert.Single(source.MemberDescriptions);
        // Invalid descriptions are recorded as rejected, not applied.
        Assert.Equal(CommandStatus.Rejected, Apply(source, new MemberDescribeCommand(new MemberDescription("", "http://x:1", "dc1", "voter"))).Status);
        Assert.Equal(CommandStatus.Rejected, Apply(source, new MemberDescribeCommand(new MemberDescription("a", "not a url", "dc1", "voter"))).Status);
        Assert.Equal(CommandStatus.Rejected, Apply(source, new MemberDescribeCommand(new MemberDescription("a\nb", "http://x:1", "dc1", "voter"))).Status);
        Assert.Single(source.MemberDescriptions);

        using var stream = new MemoryStream();
        source.WriteSnapshot(stream);
        stream.Position = 0;
        using var target = new KeyValueStateMachine(Options("members-copy"));
        await target.InstallSnapshotAsync(stream, index, 1, CancellationToken.None);
        Assert.Equal("dc1-z", target.MemberDescriptions["http://127.0.0.9:7109"].Id);

        await source.CheckpointAsync(CancellationToken.None);
        source.Dispose();
        using var reopened = new KeyValueStateMachine(Options("members"));
        Assert.Equal("witness", reopened.MemberDescriptions["http://127.0.0.9:7109"].Role);
    }

    public void Dispose() => dir.Dispose();
}
