using System.Diagnostics;

namespace GlobalZone.IntegrationTests.Witness;

/// <summary>
/// Scenario 4: the witness is lost (SIGKILL). The four voters of dc1 and dc2 are a majority of five, so writes go
/// on without an election; and even the leader's loss after that leaves three voters, still a majority.
/// </summary>
public sealed class WitnessLossTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task VotersOfBothSitesKeepServingWithoutTheWitness(bool wan)
    {
        await using var cluster = await SiteFailover.StartAsync("witness-loss", "2+2+1", output, wan);
        var leader = await cluster.WaitForLeaderInSiteAsync("dc1", TimeSpan.FromSeconds(20));
        var writes = new AcknowledgedWrites("wloss/");
        for (var i = 0; i < 5; i++)
            await writes.WriteUntilAcknowledgedAsync(() => [cluster.Client(cluster.Voters()[i % 4])], SiteFailover.FailoverBound, "write before the loss");

        cluster.Witness().Kill();
        var sinceLoss = Stopwatch.StartNew();
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 20; i++)
        {
            var clock = Stopwatch.StartNew();
            Assert.True(await writes.TryWriteAsync(cluster.Client(cluster.Voters()[i % 4]), TimeSpan.FromSeconds(5)), "write without the witness");
            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
        }

        // A voter still leads (normally the same one: losing the witness needs no election), and it sees the witness gone.
        var status = await cluster.StatusAsync(leader);
        Assert.Contains(status.LeaderId, cluster.Voters().Select(m => m.Id));
        Assert.Equal("unavailable", status.Members.Single(m => m.IsWitness).Status);
        output.WriteLine($"leader before losing the witness {leader.Id}, after {status.LeaderId}");

        // Then the leader goes too: three voters of five remain and elect one of themselves.
        var oldLeader = (await cluster.WaitForVoterLeaderAsync(TimeSpan.FromSeconds(10))).Id;
        cluster[oldLeader].Kill();
        var sinceLeaderLoss = Stopwatch.StartNew();
        var survivors = cluster.Members.Where(m => m.IsRunning).ToList();
        var newLeader = await cluster.WaitForVoterLeaderAsync(SiteFailover.FailoverBound, survivors);
        var leaderAfter = sinceLeaderLoss.Elapsed;
        Assert.NotEqual(oldLeader, newLeader.Id);
        await writes.WriteUntilAcknowledgedAsync(() => cluster.LiveVoterClients(), SiteFailover.FailoverBound, "three voters without the witness");
        var writeAfter = sinceLeaderLoss.Elapsed;

        var reference = await writes.AssertIntactAsync(cluster.Client(newLeader));
        foreach (var voter in survivors)
            Assert.Equal(reference, await writes.AssertIntactAsync(cluster.Client(voter)));

        SiteFailover.Report(output, "4-witness-lost", wan, "slowest-write-without-witness", slowest);
        SiteFailover.Report(output, "4-witness-lost", wan, "then-leader-lost-voter-leader-after", leaderAfter);
        SiteFailover.Report(output, "4-witness-lost", wan, "then-leader-lost-first-write-after", writeAfter);
    }
}
