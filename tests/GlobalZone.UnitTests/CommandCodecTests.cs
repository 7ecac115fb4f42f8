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

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 2, 1 })]
    [InlineData(new byte[] { 1, 1, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 0x7f, 0, 0, 0 })]
    public void GarbageDecodesToNullNotAnException(byte[] bytes)
        => Assert.Null(CommandCodec.TryDecode(new ReadOnlySequence<byte>(bytes)));
}
