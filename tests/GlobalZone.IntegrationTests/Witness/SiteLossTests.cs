using System.Diagnostics;

namespace GlobalZone.IntegrationTests.Witness;

/// <summary>
/// Scenario 3: the leader's whole site is lost (both voters killed with SIGKILL), then, once it is back and caught
/// up, the other site, which leads by then. Each time the surviving site plus the witness (3 of 5) keeps serving.
/// Leader placement is switched off here so that the second loss also takes the leader's site.
/// </summary>
public sealed class SiteLossTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> NoPlacement = new() { ["LeaderPlacement:Enabled"] = "false" };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OtherSiteAndWitnessKeepServingWhenEachSiteIsLostInTurn(bool wan)
    {
        await using var cluster = await SiteFailover.StartAsync("site-loss", "2+2+1", output, wan, extra: NoPlacement);
        var writes = new AcknowledgedWrites("loss/");
        var leader = await cluster.WaitForVoterLeaderAsync(TimeSpan.FromSeconds(20));
        for (var i = 0; i < 10; i++)
            await writes.WriteUntilAcknowledgedAsync(() => [cluster.Client(cluster.Voters()[i % 4])], SiteFailover.FailoverBound, "write before any loss");

        leader = await cluster.WaitForVoterLeaderAsync(TimeSpan.FromSeconds(20)); // the leader's site now: the first loss takes it
        var first = leader.Spec.Site;
        var second = first == "dc1" ? "dc2" : "dc1";
        var (leaderAfterFirst, writeAfterFirst) = await LoseSiteAsync(cluster, writes, first, second);
        foreach (var member in cluster.Site(first))
            member.Start();
        var secondLeader = await cluster.WaitForVoterLeaderAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(second, secondLeader.Spec.Site);
        await cluster.CaughtUpAsync(secondLeader, cluster.Voters(), TimeSpan.FromSeconds(20));

        var (leaderAfterSecond, writeAfterSecond) = await LoseSiteAsync(cluster, writes, second, first);
        foreach (var member in cluster.Site(second))
            member.Start();
        var finalLeader = await cluster.WaitForVoterLeaderAsync(TimeSpan.FromSeconds(30));
        await cluster.CaughtUpAsync(finalLeader, cluster.Voters(), TimeSpan.FromSeconds(20));
        var reference = await writes.AssertIntactAsync(cluster.Client(finalLeader));
        foreach (var voter in cluster.Voters())
            Assert.Equal(reference, await writes.AssertIntactAsync(cluster.Client(voter)));

        SiteFailover.Report(output, $"3-site-loss-{first}", wan, "voter-leader-after-loss", leaderAfterFirst);
        SiteFailover.Report(output, $"3-site-loss-{first}", wan, "first-write-after-loss", writeAfterFirst);
        SiteFailover.Report(output, $"3-site-loss-{second}", wan, "voter-leader-after-loss", leaderAfterSecond);
        SiteFailover.Report(output, $"3-site-loss-{second}", wan, "first-write-after-loss", writeAfterSecond);
    }

    /// <summary>Kills both voters of <paramref name="lost"/> (the leader's site); the <paramref name="surviving"/> site and the witness must elect and serve.</summary>
    private async Task<(TimeSpan Leader, TimeSpan Write)> LoseSiteAsync(TestCluster cluster, AcknowledgedWrites writes, string lost, string surviving)
    {
        foreach (var member in cluster.Site(lost))
            member.Kill();
        var sinceLoss = Stopwatch.StartNew();
        var survivors = cluster.Members.Where(m => m.IsRunning).ToList();
        var leader = await cluster.WaitForVoterLeaderAsync(SiteFailover.FailoverBound, survivors);
        var leaderAfter = sinceLoss.Elapsed;
        Assert.Equal(surviving, leader.Spec.Site);
        await writes.WriteUntilAcknowledgedAsync(() => cluster.LiveVoterClients(), SiteFailover.FailoverBound, $"{surviving} after losing {lost}");
        var writeAfter = sinceLoss.Elapsed;
        // It keeps serving: each further write is acknowledged within the failover bound (a re-election on a
        // loaded machine may refuse a few attempts, which the ledger counts).
        var refusedBefore = writes.Refused;
        for (var i = 0; i < 10; i++)
            await writes.WriteUntilAcknowledgedAsync(() => cluster.LiveVoterClients(), SiteFailover.FailoverBound, $"write while {lost} is down");
        await writes.AssertIntactAsync(cluster.Client(leader));
        output.WriteLine($"lost {lost}: {leader.Id} leads after {leaderAfter.TotalMilliseconds:F0} ms; {writes.Refused - refusedBefore} attempts refused afterwards");
        return (leaderAfter, writeAfter);
    }
}
