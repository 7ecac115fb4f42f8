using System.Diagnostics;
using GlobalZone.ClusterRunner;
using GlobalZone.Contracts;

namespace GlobalZone.IntegrationTests.Witness;

/// <summary>
/// Scenario 5: dc1 (the preferred leader site) is cut off by real iptables rules, dc2 and the witness fail over,
/// and after healing the leader moves back to dc1 by a leadership transfer (the dc2 leader hands over; nothing is
/// killed), while a client keeps writing through dc2 the whole time.
/// </summary>
public sealed class PreferredSiteTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LeaderReturnsToThePreferredSiteAfterItHeals(bool wan)
    {
        await using var cluster = await SiteFailover.StartAsync("preferred", "2+2+1", output, wan, partitionable: true);
        using var partitioner = new NetworkPartitioner();
        await cluster.WaitForLeaderInSiteAsync("dc1", TimeSpan.FromSeconds(20));
        var dc1 = cluster.Site("dc1");
        var rest = cluster.Members.Where(m => m.Spec.Site != "dc1").ToList();
        await using var writer = new BackgroundWriter("preferred/", () => cluster.LiveVoterClients(cluster.Site("dc2")));

        partitioner.Partition(dc1.Select(m => m.Spec), rest.Select(m => m.Spec));
        var sinceCut = Stopwatch.StartNew();
        var failoverLeader = await cluster.WaitForLeaderInSiteAsync("dc2", SiteFailover.FailoverBound, rest);
        var failoverAfter = sinceCut.Elapsed;

        partitioner.HealAll();
        var sinceHeal = Stopwatch.StartNew();
        var returned = await cluster.WaitForLeaderInSiteAsync("dc1", TimeSpan.FromSeconds(30));
        var returnAfter = sinceHeal.Elapsed;

        // A transfer, not a crash: the dc2 leader is alive and recorded handing over to dc1.
        Assert.True(failoverLeader.IsRunning);
        var handoff = await Eventually.GetAsync(async () => (await cluster.StatusAsync(returned)).LastHandoff is { Kind: LeadershipHandoffKinds.PreferredSite, CompletedAt: not null } h ? h : null,
            TimeSpan.FromSeconds(5), "the preferred-site hand-off on record");
        Assert.Equal(failoverLeader.Id, handoff.FromMemberId);
        Assert.Equal(returned.Id, handoff.ToMemberId);

        // It stays there: no flapping back (checked over a few probe intervals).
        var stable = Stopwatch.StartNew();
        while (stable.Elapsed < TimeSpan.FromSeconds(2))
        {
            Assert.Equal(returned.Id, (await cluster.StatusAsync(returned)).LeaderId);
            await Task.Delay(200);
        }

        var writes = await writer.StopAsync();
        output.WriteLine($"background writer: {writes.Count} acknowledged, {writes.Refused} refused or unknown");
        Assert.True(writes.Count > 0);
        await cluster.CaughtUpAsync(returned, cluster.Voters(), TimeSpan.FromSeconds(10));
        var reference = await writes.AssertIntactAsync(cluster.Client(returned));
        foreach (var voter in cluster.Voters())
            Assert.Equal(reference, await writes.AssertIntactAsync(cluster.Client(voter)));

        SiteFailover.Report(output, "5-preferred-site", wan, "failover-to-dc2-after-cut", failoverAfter);
        SiteFailover.Report(output, "5-preferred-site", wan, "back-in-dc1-after-heal", returnAfter);
        SiteFailover.Report(output, "5-preferred-site", wan, "transfer-resign-to-new-leader", handoff.CompletedAt!.Value - handoff.ResignedAt!.Value);
    }
}
