using GlobalZone.Jepsen.Failpoint;

namespace GlobalZone.Jepsen.Tests.Failpoint;

public sealed class NemesisCatalogTests
{
    [Fact]
    public void CommasTakeTurnsAndPlusesStrikeTogether()
    {
        var turns = NemesisCatalog.Parse("partition-random-halves, kill-leader+pause-random");
        Assert.Equal(2, turns.Count);
        Assert.Equal("partition-random-halves", turns[0].Name);
        var combined = Assert.IsType<CombinedNemesis>(turns[1]);
        Assert.Equal(["kill-leader", "pause-random"], combined.Parts.Select(p => p.Name));
        Assert.True(turns[0].NeedsPartitioner);
        Assert.False(combined.NeedsPartitioner);
    }

    [Fact]
    public void AllTakesTurnsThroughEveryNemesisAndNoneInjectsNothing()
    {
        Assert.Equal(NemesisCatalog.All.Select(n => n.Name), NemesisCatalog.Parse("all").Select(n => n.Name));
        Assert.Empty(NemesisCatalog.Parse("none"));
    }

    [Fact]
    public void UnknownNameIsRefusedWithTheKnownOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => NemesisCatalog.Parse("partition-everything"));
        Assert.Contains("partition-majorities-ring", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryNemesisTheIssueAsksForExists()
    {
        var names = NemesisCatalog.All.Select(n => n.Name).ToHashSet();
        string[] required =
        [
            "partition-random-halves", "partition-isolate-leader", "partition-majorities-ring", "partition-dc1-dc2", "partition-isolate-site",
            "kill-leader", "kill-random", "pause-leader", "pause-random", "crash-cluster", "replace-member", "bitflip", "truncate", "kill-majority", "kill-after-ack",
        ];
        Assert.All(required, name => Assert.Contains(name, names));
    }

    [Fact]
    public void OnlyKillAfterAckNeedsPeerFailpointsAndCombiningCarriesItThrough()
    {
        Assert.Equal(["kill-after-ack"], NemesisCatalog.Parse("all").Where(n => n.NeedsPeerFailpoints).Select(n => n.Name));
        Assert.True(Assert.Single(NemesisCatalog.Parse("kill-leader+kill-after-ack")).NeedsPeerFailpoints);
        Assert.False(Assert.Single(NemesisCatalog.Parse("kill-majority")).NeedsPeerFailpoints);
    }
}
