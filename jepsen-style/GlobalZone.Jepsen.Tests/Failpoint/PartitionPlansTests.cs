using GlobalZone.ClusterRunner;
using GlobalZone.Jepsen.Failpoint;

namespace GlobalZone.Jepsen.Tests.Failpoint;

public sealed class PartitionPlansTests
{
    private static readonly IReadOnlyList<MemberSpec> Members = ClusterLayout.Parse("2+2+1", 7000, distinctAddresses: true).Members;

    [Theory]
    [InlineData("2+2+1")]
    [InlineData("3+3+1")]
    [InlineData("2+1+1")]
    public void MajoritiesRingLetsEveryMemberSeeAMajorityButNotTheSameOne(string layout)
    {
        var members = ClusterLayout.Parse(layout, 7000, distinctAddresses: true).Members;
        var majority = members.Count / 2 + 1;
        for (var seed = 0; seed < 20; seed++)
        {
            var plan = PartitionPlans.MajoritiesRing(members, new Random(seed));
            var reach = plan.Reachability(members);
            Assert.All(reach.Values, seen => Assert.True(seen.Count >= majority, $"{plan.Description}: someone sees only {seen.Count}"));
            Assert.All(reach.Values, seen => Assert.True(seen.Count < members.Count, $"{plan.Description}: someone sees everyone"));
            Assert.True(reach.Values.Select(s => string.Join(",", s.Order())).Distinct().Count() > 1, plan.Description);
        }
    }

    [Fact]
    public void RandomHalvesSplitEveryoneIntoAMinorityAndAMajority()
    {
        var plan = PartitionPlans.RandomHalves(Members, new Random(7));
        var reach = plan.Reachability(Members);
        Assert.Equal(2, reach.Values.Select(s => string.Join(",", s.Order())).Distinct().Count());
        Assert.Equal([2, 3], reach.Values.Select(s => s.Count).Distinct().Order());
    }

    [Fact]
    public void SitesApartLeaveTheWitnessReachingBoth()
    {
        var plan = PartitionPlans.SitesApartWitnessBridging(Members);
        var reach = plan.Reachability(Members);
        Assert.Equal(Members.Count, reach["dc3-w"].Count);
        Assert.DoesNotContain("dc2-a", reach["dc1-a"]);
        Assert.Contains("dc3-w", reach["dc1-a"]);
        Assert.Contains("dc3-w", reach["dc2-b"]);
    }

    [Fact]
    public void IsolatingASiteCutsItsMembersFromEveryoneElse()
    {
        var plan = PartitionPlans.IsolateSite("dc2", Members);
        var reach = plan.Reachability(Members);
        Assert.Equal(["dc2-a", "dc2-b"], reach["dc2-a"].Order());
        Assert.Equal(["dc1-a", "dc1-b", "dc3-w"], reach["dc3-w"].Order());
    }

    [Fact]
    public void IsolatingAMemberLeavesItAlone()
    {
        var plan = PartitionPlans.Isolate(Members[1], Members);
        Assert.Equal([Members[1].Id], plan.Reachability(Members)[Members[1].Id]);
        Assert.Equal(Members.Count - 1, plan.Cuts.Count);
    }
}
