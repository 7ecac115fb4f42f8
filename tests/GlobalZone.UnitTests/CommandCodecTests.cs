using System.Buffers;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;

namespace GlobalZone.UnitTests;

public sealed class CommandCodecTests
{
    [Fact]
    public void TxnRoundTripsWithEnvelope()
    {
        var command = new TxnCommand(
            [new Compare("a", CompareTarget.Value, CompareOperator.NotEqual, 0, [1, 2])],
            [new TxnOperation(TxnOperationKind.Put, "ключ", [3], ValueFormat.Raw, 42)],
            [new TxnOperation(TxnOperationKind.DeletePrefix, "p/")])
        { LeaderTimeMs = 123456789, IdempotencyKey = "retry-1" };
        var decoded = Assert.IsType<TxnCommand>(CommandCodec.TryDecode(new ReadOnlySequence<byte>(CommandCodec.Encode(command))));
        Assert.Equal(123456789, decoded.LeaderTimeMs);
        Assert.Equal("retry-1", decoded.IdempotencyKey);
        Assert.Equal([1, 2], decoded.Compares[0].Value);
        Assert.Equal(CompareOperator.NotEqual, decoded.Compares[0].Operator);
        Assert.Equal("ключ", decoded.Success[0].Key);
        Assert.Equal(ValueFormat.Raw, decoded.Success[0].Format);
        Assert.Equal(42, decoded.Success[0].Lease);
        Assert.Equal(TxnOperationKind.DeletePrefix, decoded.Failure[0].Kind);
    }

    public static TheoryData<Command> EveryKind() =>
    [
        new LeaseGrantCommand(7, 30_000),
        new LeaseKeepAliveCommand(7),
        new LeaseRevokeCommand(7),
        new LeaseExpireCommand([new LeaseExpiry(7, 100), new LeaseExpiry(9, 120)]),
        new LockAcquireCommand("locks/ä", 7, "worker-1", Wait: true),
        new LockAcquireCommand("rw", 7, "reader", Wait: true) { Mode = LockMode.Read, MaxWaitersPerLock = 3 },
        new LockAcquireCommand("sem", 7, "", Wait: false) { Mode = LockMode.Permit, Limit = 3 },
        new LockReleaseCommand("locks/ä", 7, 42, OnlyIfWaiting: true),
        new IdempotencyCompactCommand(1_700_000_000_000),
        new MemberDescribeCommand(new MemberDescription("dc1-z", "http://10.0.0.9:7101", "dc1", "voter")),
        TxnCommand.Put("k", [1]) with { Fence = new Fence("L", 5), IdempotencyKey = "x" },
        new AuthCommand(AuthOperation.RoleGrantPermission, "app", "app/ä", Access: GlobalZone.StateMachine.Auth.KeyAccess.ReadWrite),
        new AuthCommand(AuthOperation.Enable, "auth", Data: [1, 2, 3]),
    ];

    [Theory]
    [MemberData(nameof(EveryKind))]
    public void EveryCommandKindRoundTrips(Command command)
    {
        var decoded = CommandCodec.TryDecode(new ReadOnlySequence<byte>(CommandCodec.Encode(command)));
        Assert.NotNull(decoded);
        // Records compare by value, except lists: compare the encodings instead.
        Assert.Equal(CommandCodec.Encode(command), CommandCodec.Encode(decoded));
        Assert.Equal(command.GetType(), decoded.GetType());
    }

    [Fact]
    public void ResultsRoundTripWithLeaseLockAndReplayFlag()
    {
        var result = new CommandResult(CommandStatus.Applied, 9, true, [], null, new LeaseRecord(3, 5000, 10, 12),
            new LockRecord("L", new LockHolder(3, "me", 17, 11), [new LockWaiter(4, "you", 12)]), Replayed: true);
        var decoded = CommandResultCodec.Decode(CommandResultCodec.Encode(result));
        Assert.Equal(result.Lease, decoded.Lease);
        Assert.Equal(result.Lock!.Holder, decoded.Lock!.Holder);
        Assert.Equal(result.Lock.Waiters, decoded.Lock.Waiters);
        Assert.True(decoded.Replayed);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 2, 1 })]
    [InlineData(new byte[] { 1, 1, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 0x7f, 0, 0, 0 })]
    public void GarbageDecodesToNullNotAnException(byte[] bytes)
        => Assert.Null(CommandCodec.TryDecode(new ReadOnlySequence<byte>(bytes)));
}
