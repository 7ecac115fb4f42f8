using GlobalZone.Consensus;
using GlobalZone.StateMachine;

namespace GlobalZone.UnitTests;

/// <summary>The leader's answers on the peer protocol: what is written reads back, and anything garbled reads as "outcome unknown".</summary>
public sealed class LeaderReplyCodecTests
{
    [Fact]
    public void A_proposal_and_a_read_index_read_back_with_their_index_and_result()
    {
        var result = new CommandResult(CommandStatus.Applied, Revision: 42, Succeeded: true, Operations: [], Error: null, Lease: null, Lock: null, Replayed: false);
        var (reply, index, encoded) = LeaderReplyCodec.Decode(LeaderReplyCodec.Proposal(1234, result));
        Assert.Equal(LeaderReply.Ok, reply);
        Assert.Equal(1234, index);
        Assert.Equal(42, CommandResultCodec.Decode(encoded.Span).Revision);

        var read = LeaderReplyCodec.Decode(LeaderReplyCodec.ReadIndex(99));
        Assert.Equal((LeaderReply.Ok, 99L), (read.Reply, read.Index));
        Assert.True(read.Result.IsEmpty);
    }

    [Fact]
    public void Refusals_read_back_and_garbled_answers_read_as_outcome_unknown()
    {
        Assert.Equal(LeaderReply.NotLeader, LeaderReplyCodec.Decode(LeaderReplyCodec.Refusal(LeaderReply.NotLeader)).Reply);
        Assert.Equal(LeaderReply.OutcomeUnknown, LeaderReplyCodec.Decode(LeaderReplyCodec.Refusal(LeaderReply.OutcomeUnknown)).Reply);
        Assert.Throws<ArgumentException>(() => LeaderReplyCodec.Refusal(LeaderReply.Ok));

        // Empty, an Ok cut before its index ends, an unknown code, a refusal with trailing bytes: the sender cannot tell
        // what the leader did, so none of them may read as "not done" (which would let it retry and apply twice).
        foreach (var garbled in new byte[][] { [], [0, 1, 2, 3], [7], [1, 0] })
            Assert.Equal(LeaderReply.OutcomeUnknown, LeaderReplyCodec.Decode(garbled).Reply);
    }
}
