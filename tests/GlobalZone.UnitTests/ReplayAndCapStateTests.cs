using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;
using GlobalZone.Storage;

namespace GlobalZone.UnitTests;

/// <summary>
/// Idempotent replays that would claim something no longer true, and the cluster-wide caps apply enforces from the
/// entry (issue 11).
/// </summary>
public sealed class ReplayAndCapStateTests : IDisposable
{
    private readonly TempDirectory dir = new();
    private long index;

    private StorageOptions Options(string name = "a") => new() { Directory = Path.Combine(dir.Path, name), KeyValueMemoryBytes = 1 << 22, KeyValueIndexBytes = 1 << 16, HistoryMemoryBytes = 1 << 22 };

    private CommandResult Apply(KeyValueStateMachine sm, Command command) => sm.Apply(++index, 1, command)!;

    private long Grant(KeyValueStateMachine sm) => Apply(sm, new LeaseGrantCommand(0, 10_000)).Lease!.Id;

    [Fact]
    public void ReplayedLockGrantIsRefusedOnceTheLockPassedToAnotherLease()
    {
        using var sm = new KeyValueStateMachine(Options());
        var (one, two) = (Grant(sm), Grant(sm));
        var acquire = new LockAcquireCommand("L", one, "first", Wait: false) { IdempotencyKey = "k1" };
        var first = Apply(sm, acquire);
        Assert.True(first.Succeeded);
        Assert.Equal(one, first.Lock!.Holder!.Lease);

        // While the grant is current, a replay repeats it.
        var replay = Apply(sm, acquire);
        Assert.True(replay.Replayed);
        Assert.Equal(CommandStatus.Applied, replay.Status);
        Assert.Equal(first.Lock.Holder.FencingToken, replay.Lock!.Holder!.FencingToken);

        Apply(sm, new LockAcquireCommand("L", two, "second", Wait: true));
        Apply(sm, new LeaseRevokeCommand(one));
        Assert.Equal(two, sm.GetLock("L")!.Holder!.Lease);

        var stale = Apply(sm, acquire);
        Assert.True(stale.Replayed);
        Assert.Equal(CommandStatus.Superseded, stale.Status);
        Assert.False(stale.Succeeded);
        Assert.Equal(two, stale.Lock!.Holder!.Lease);
        Assert.Contains("no longer current", stale.Error, StringComparison.Ordinal);
        Assert.Contains($"lease {two}", stale.Error, StringComparison.Ordinal);
        // The replay changed nothing.
        Assert.Equal(two, sm.GetLock("L")!.Holder!.Lease);
    }

    [Fact]
    public void ReplayedLockGrantIsRefusedAfterRelease()
    {
        using var sm = new KeyValueStateMachine(Options());
        var one = Grant(sm);
        var acquire = new LockAcquireCommand("L", one, "", Wait: false) { IdempotencyKey = "k" };
        var token = Apply(sm, acquire).Lock!.Holder!.FencingToken;
        Apply(sm, new LockReleaseCommand("L", one, token));
        var stale = Apply(sm, acquire);
        Assert.Equal(CommandStatus.Superseded, stale.Status);
        Assert.Null(stale.Lock!.Holder);
        Assert.Null(sm.GetLock("L"));
    }

    [Fact]
    public void ReplayedQueuedAcquisitionReportsTheGrantItLaterReceived()
    {
        using var sm = new KeyValueStateMachine(Options());
        var (one, two) = (Grant(sm), Grant(sm));
        Apply(sm, new LockAcquireCommand("L", one, "", Wait: false));
        var queue = new LockAcquireCommand("L", two, "", Wait: true) { IdempotencyKey = "q" };
        Assert.False(Apply(sm, queue).Succeeded);
        Apply(sm, new LeaseRevokeCommand(one));
        var replay = Apply(sm, queue);
        Assert.True(replay.Replayed);
        Assert.True(replay.Succeeded);
        Assert.Equal(two, replay.Lock!.Holder!.Lease);
    }

    [Fact]
    public void ReplayedKeepAliveIsRefusedOnceTheLeaseEnded()
    {
        using var sm = new KeyValueStateMachine(Options());
        var lease = Grant(sm);
        var keepAlive = new LeaseKeepAliveCommand(lease) { IdempotencyKey = "ka" };
        Assert.Equal(CommandStatus.Applied, Apply(sm, keepAlive).Status);
        var live = Apply(sm, keepAlive);
        Assert.Equal(CommandStatus.Applied, live.Status);
        Assert.True(live.Replayed);

        Apply(sm, new LeaseRevokeCommand(lease));
        var stale = Apply(sm, keepAlive);
        Assert.Equal(CommandStatus.Superseded, stale.Status);
        Assert.True(stale.Replayed);
        Assert.Contains("ended", stale.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void OtherReplaysStillRepeatTheFirstOutcome()
    {
        using var sm = new KeyValueStateMachine(Options());
        var grant = new LeaseGrantCommand(0, 10_000) { IdempotencyKey = "g" };
        var first = Apply(sm, grant);
        Apply(sm, new LeaseRevokeCommand(first.Lease!.Id));
        var replay = Apply(sm, grant);
        Assert.Equal(CommandStatus.Applied, replay.Status);
        Assert.True(replay.Replayed);
        Assert.Equal(first.Lease.Id, replay.Lease!.Id);
    }

    [Fact]
    public void LeaseCapFromTheEntryRefusesTheGrantBeyondIt()
    {
        using var sm = new KeyValueStateMachine(Options());
        Assert.Equal(CommandStatus.Applied, Apply(sm, new LeaseGrantCommand(0, 10_000) { MaxLeases = 2 }).Status);
        Assert.Equal(CommandStatus.Applied, Apply(sm, new LeaseGrantCommand(0, 10_000) { MaxLeases = 2 }).Status);
        var third = Apply(sm, new LeaseGrantCommand(0, 10_000) { MaxLeases = 2 });
        Assert.Equal(CommandStatus.LimitReached, third.Status);
        Assert.Equal(2, sm.LeaseCount);
        // No cap in the entry (an entry written before caps existed): applied as before.
        Assert.Equal(CommandStatus.Applied, Apply(sm, new LeaseGrantCommand(0, 10_000)).Status);
    }

    [Fact]
    public void LockWaiterCapsFromTheEntryRefuseTheWaiterBeyondThem()
    {
        using var sm = new KeyValueStateMachine(Options());
        var leases = Enumerable.Range(0, 5).Select(_ => Grant(sm)).ToArray();
        Apply(sm, new LockAcquireCommand("A", leases[0], "", Wait: false));
        Apply(sm, new LockAcquireCommand("B", leases[0], "", Wait: false));
        Assert.Equal(CommandStatus.Applied, Apply(sm, new LockAcquireCommand("A", leases[1], "", true) { MaxWaitersPerLock = 1, MaxWaitersTotal = 2 }).Status);
        var perLock = Apply(sm, new LockAcquireCommand("A", leases[2], "", true) { MaxWaitersPerLock = 1, MaxWaitersTotal = 2 });
        Assert.Equal(CommandStatus.LimitReached, perLock.Status);
        Assert.Equal(CommandStatus.Applied, Apply(sm, new LockAcquireCommand("B", leases[2], "", true) { MaxWaitersPerLock = 1, MaxWaitersTotal = 2 }).Status);
        Assert.Equal(2, sm.LockWaiterCount);
        var total = Apply(sm, new LockAcquireCommand("C", leases[4], "", false) { MaxWaitersPerLock = 1, MaxWaitersTotal = 2 });
        Assert.True(total.Succeeded); // a free lock needs no place in a queue
        Apply(sm, new LockAcquireCommand("C", leases[4], "", false));
        var beyondTotal = Apply(sm, new LockAcquireCommand("C", leases[3], "", true) { MaxWaitersPerLock = 1, MaxWaitersTotal = 2 });
        Assert.Equal(CommandStatus.LimitReached, beyondTotal.Status);

        // Waiters leaving free places: the count follows the queues.
        Apply(sm, new LeaseRevokeCommand(leases[1]));
        Assert.Equal(1, sm.LockWaiterCount);
        Assert.Equal(CommandStatus.Applied, Apply(sm, new LockAcquireCommand("C", leases[3], "", true) { MaxWaitersPerLock = 1, MaxWaitersTotal = 2 }).Status);
        Assert.Equal(2, sm.LockWaiterCount);
    }

    [Fact]
    public void CapsSurviveTheCodecAndOldEntriesDecodeWithoutThem()
    {
        var grant = new LeaseGrantCommand(0, 5_000) { MaxLeases = 7, IdempotencyKey = "x" };
        var decodedGrant = (LeaseGrantCommand)CommandCodec.TryDecode(new System.Buffers.ReadOnlySequence<byte>(CommandCodec.Encode(grant)))!;
        Assert.Equal(7, decodedGrant.MaxLeases);
        var acquire = new LockAcquireCommand("L", 3, "o", true) { MaxWaitersPerLock = 5, MaxWaitersTotal = 9 };
        var decodedAcquire = (LockAcquireCommand)CommandCodec.TryDecode(new System.Buffers.ReadOnlySequence<byte>(CommandCodec.Encode(acquire)))!;
        Assert.Equal((5, 9L), (decodedAcquire.MaxWaitersPerLock, decodedAcquire.MaxWaitersTotal));

        // An entry as written before caps existed: the same bytes without the trailing caps.
        var old = CommandCodec.Encode(new LeaseGrantCommand(0, 5_000));
        var decodedOld = (LeaseGrantCommand)CommandCodec.TryDecode(new System.Buffers.ReadOnlySequence<byte>(old.AsMemory(0, old.Length - 8)))!;
        Assert.Equal((5_000L, 0L), (decodedOld.TtlMs, decodedOld.MaxLeases));
        var oldAcquire = CommandCodec.Encode(new LockAcquireCommand("L", 3, "o", true));
        var decodedOldAcquire = (LockAcquireCommand)CommandCodec.TryDecode(new System.Buffers.ReadOnlySequence<byte>(oldAcquire.AsMemory(0, oldAcquire.Length - 12)))!;
        Assert.Equal(("L", 0), (decodedOldAcquire.Name, decodedOldAcquire.MaxWaitersPerLock));
    }

    [Fact]
    public void ARefusalForACapIsNotRememberedSoTheRetryAppliesOnceThereIsRoom()
    {
        using var sm = new KeyValueStateMachine(Options());
        var first = Apply(sm, new LeaseGrantCommand(0, 10_000) { MaxLeases = 1 });
        var grant = new LeaseGrantCommand(0, 10_000) { MaxLeases = 1, IdempotencyKey = "later" };
        Assert.Equal(CommandStatus.LimitReached, Apply(sm, grant).Status);
        Assert.Equal(0, sm.IdempotencyRecordCount);
        Apply(sm, new LeaseRevokeCommand(first.Lease!.Id));
        var retry = Apply(sm, grant);
        Assert.Equal(CommandStatus.Applied, retry.Status);
        Assert.False(retry.Replayed);
        Assert.True(Apply(sm, grant).Replayed);
    }

    [Fact]
    public void RetryThroughAMemberWithOtherCapsIsTheSameRequest()
    {
        using var sm = new KeyValueStateMachine(Options());
        var first = Apply(sm, new LeaseGrantCommand(0, 10_000) { MaxLeases = 10, IdempotencyKey = "same" });
        var retry = Apply(sm, new LeaseGrantCommand(0, 10_000) { MaxLeases = 20, IdempotencyKey = "same" });
        Assert.Equal(CommandStatus.Applied, retry.Status);
        Assert.True(retry.Replayed);
        Assert.Equal(first.Lease!.Id, retry.Lease!.Id);
    }

    public void Dispose() => dir.Dispose();
}
