using GlobalZone.Client.Internal;
using GlobalZone.Contracts;

namespace GlobalZone.ClientTests;

public sealed class ClusterTopologyTests
{
    private static readonly Uri A = new("http://a.test:7000/");
    private static readonly Uri B = new("http://b.test:7000/");
    private static readonly Uri W = new("http://w.test:7000/");

    private static ClusterStatus Status(string? leader) => new()
    {
        ClusterName = "t", MemberId = "a", Site = "dc1", Role = "voter", LeaderUrl = leader, Term = 1, CommitIndex = 1, AppliedIndex = 1, Revision = 1, SnapshotIndex = 0,
        Members =
        [
            new MemberStatus { Id = "a", Url = "http://a.test:7000", Site = "dc1", Role = "voter", IsWitness = false, IsLeader = false, IsLocal = true },
            new MemberStatus { Id = "b", Url = "http://b.test:7000", Site = "dc2", Role = "voter", IsWitness = false, IsLeader = leader is not null, IsLocal = false },
            new MemberStatus { Id = "w", Url = "http://w.test:7000", Site = "dc3", Role = "witness", IsWitness = true, IsLeader = false, IsLocal = false },
        ],
    };

    [Fact]
    public void ReadsPreferTheCallersSiteAndNeverTheWitness()
    {
        var topology = new ClusterTopology([W], site: "dc2", TimeProvider.System);
        topology.Apply(Status(leader: null));
        for (var i = 0; i < 5; i++)
        {
            var candidates = topology.Candidates(RequestKind.Read);
            Assert.Equal([B, A], candidates);
        }
    }

    [Fact]
    public void WritesGoToTheLeaderFirst()
    {
        var topology = new ClusterTopology([A], site: "dc1", TimeProvider.System);
        topology.Apply(Status(leader: "http://b.test:7000"));
        Assert.Equal(B, topology.Candidates(RequestKind.Write)[0]);
        Assert.Equal(A, topology.Candidates(RequestKind.Read)[0]);
    }

    [Fact]
    public void AnUnreachableMemberComesLastUntilItAnswersAgain()
    {
        var topology = new ClusterTopology([A], site: "dc1", TimeProvider.System);
        topology.Apply(Status(leader: "http://a.test:7000"));
        topology.MarkUnreachable(A);
        Assert.Null(topology.Leader);
        Assert.Equal([B, A], topology.Candidates(RequestKind.Write));
        Assert.Equal([B, A], topology.Candidates(RequestKind.Read));
        topology.MarkReachable(A);
        Assert.Equal(A, topology.Candidates(RequestKind.Read)[0]);
    }

    [Fact]
    public void ALeaderHintFromAHeaderMovesWritesAndReportsAnUnknownMember()
    {
        var topology = new ClusterTopology([A, B], site: null, TimeProvider.System);
        Assert.False(topology.ObserveLeader("http://a.test:7000/"), "a seed is known");
        Assert.Equal(A, topology.Candidates(RequestKind.Write)[0]);
        Assert.False(topology.ObserveLeader("http://a.test:7000"), "same leader: no news");
        Assert.True(topology.ObserveLeader("http://c.test:7000"), "a member the client never heard of");
        Assert.Equal(new Uri("http://c.test:7000/"), topology.Candidates(RequestKind.Write)[0]);
    }

    [Fact]
    public void AMemberThatSaysItIsTheWitnessIsDropped()
    {
        var topology = new ClusterTopology([A, W], site: null, TimeProvider.System);
        topology.MarkWitness(W);
        Assert.Equal([A], topology.Candidates(RequestKind.Read));
    }

    [Fact]
    public void SeedUrlsAreNormalizedToSchemeHostAndPort()
    {
        var topology = new ClusterTopology([new Uri("http://A.test:7000/some/path"), new Uri("http://a.test:7000")], site: null, TimeProvider.System);
        Assert.Single(topology.Candidates(RequestKind.Read));
    }
}
