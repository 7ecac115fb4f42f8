using System.Buffers.Binary;
using GlobalZone.StateMachine;

namespace GlobalZone.Consensus;

/// <summary>
/// The leader's answers on the peer protocol, written and read in one place: a forwarded command's
/// <c>[reply:1][index:8][result]</c> (<see cref="InternalRoutes.ProposeBatch"/>), a read index's <c>[reply:1][index:8]</c>
/// (<see cref="MessageNames.ReadIndex"/>), or a lone <see cref="LeaderReply"/> byte when nothing was done or the outcome
/// is unknown.
/// </summary>
internal static class LeaderReplyCodec
{
    private const int IndexedBytes = 1 + sizeof(long);

    /// <summary>Nothing was done (<see cref="LeaderReply.NotLeader"/>) or its outcome is unknown.</summary>
    public static byte[] Refusal(LeaderReply reply)
        => reply == LeaderReply.Ok ? throw new ArgumentException("A refusal is not Ok.", nameof(reply)) : [(byte)reply];

    /// <summary>A forwarded command committed at <paramref name="index"/> with <paramref name="result"/>.</summary>
    public static byte[] Proposal(long index, CommandResult result)
    {
        var encoded = CommandResultCodec.Encode(result);
        var body = new byte[IndexedBytes + encoded.Length];
        WriteOk(body, index);
        encoded.CopyTo(body, IndexedBytes);
        return body;
    }

    /// <summary>A confirmed read index.</summary>
    public static byte[] ReadIndex(long index)
    {
        var body = new byte[IndexedBytes];
        WriteOk(body, index);
        return body;
    }

    /// <summary>
    /// Reads one answer. Anything that is not a well-formed answer (empty, an Ok too short to hold its index, an unknown
    /// code) reads as <see cref="LeaderReply.OutcomeUnknown"/>: the sender cannot tell what the leader did.
    /// </summary>
    public static (LeaderReply Reply, long Index, ReadOnlyMemory<byte> Result) Decode(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
            return (LeaderReply.OutcomeUnknown, 0, default);
        return (LeaderReply)body.Span[0] switch
        {
            LeaderReply.Ok when body.Length >= IndexedBytes => (LeaderReply.Ok, BinaryPrimitives.ReadInt64LittleEndian(body.Span[1..]), body[IndexedBytes..]),
            LeaderReply.NotLeader when body.Length == 1 => (LeaderReply.NotLeader, 0, default),
            _ => (LeaderReply.OutcomeUnknown, 0, default),
        };
    }

    private static void WriteOk(byte[] body, long index)
    {
        body[0] = (byte)LeaderReply.Ok;
        BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(1), index);
    }
}
