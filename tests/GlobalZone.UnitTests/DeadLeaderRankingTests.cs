using GlobalZone.Consensus;

namespace GlobalZone.UnitTests;

/// <summary>
/// Which live voter campaigns early after the leader's process is gone. A voter whose log is older than another live
/// voter's loses that voter's vote, so the newest log goes first; the preferred site and then the id only break ties.
/// </summary>
public sealed class DeadLeaderRankingTests
{
    private static MemberProgressReport Voter(string id, long lastTerm, long lastIndex)
        => new() { MemberId = id, Term = lastTerm, LastIndex = lastIndex, LastTerm = lastTerm, CommitIndex = 0, AppliedIndex = 0 };

    private static string Site(string id) => id[..3];

    [Fact]
    public void The_most_up_to_date_log_campaigns_whatever_its_site_or_id()
    {
        var first = DeadLeaderShortcut.FirstToCampaign([Voter("dc1-a", 4, 100), Voter("dc1-b", 4, 101), Voter("dc2-a", 4, 99)], Site, "dc1");
        Assert.Equal("dc1-b", first.MemberId);

        // Raft's order: a later last term wins over a longer log of an earlier term.
        first = DeadLeaderShortcut.FirstToCampaign([Voter("dc1-a", 4, 100), Voter("dc2-b", 5, 90)], Site, "dc1");
        Assert.Equal("dc2-b", first.MemberId);
    }

    [Fact]
    public void Equal_logs_go_to_the_preferred_site_then_the_lowest_id()
    {
        var first = DeadLeaderShortcut.FirstToCampaign([Voter("dc1-b", 4, 100), Voter("dc2-a", 4, 100), Voter("dc1-a", 4, 100)], Site, "dc2");
        Assert.Equal("dc2-a", first.MemberId);
        first = DeadLeaderShortcut.FirstToCampaign([Voter("dc1-b", 4, 100), Voter("dc2-a", 4, 100), Voter("dc1-a", 4, 100)], Site, null);
        Assert.Equal("dc1-a", first.MemberId);
    }
}
