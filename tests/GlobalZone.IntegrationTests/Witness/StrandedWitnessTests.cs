using System.Diagnostics;
using GlobalZone.Contracts;

namespace GlobalZone.IntegrationTests.Witness;

/// <summary>
/// Scenario 1, the case a plain standby witness cannot handle: dc2's voters stall (SIGSTOP), the dc1 leader commits
/// with the witness's acknowledgement, then dc1 is lost (SIGKILL) and the stale dc2 voters come back. The witness
/// holds the only copy of the newest writes and refuses its vote to every older voter; without the hand-off nobody
/// could lead until dc1 returned. With it, a dc2 voter leads with every write.
/// </summary>
public sealed class StrandedWitnessTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("1+1+1", false)]
    [InlineData("1+1+1", true)]
    [InlineData("2+2+1", false)]
    [InlineData("2+2+1", true)]
    public async Task StaleVoterLeadsWithEveryWriteOnceTheWitnessHandsOver(string layout, bool wan)
    {
        await using var cluster = await SiteFailover.StartAsync("stranded-" + layout.Replace('+', '-'), layout, output, wan);
        var dc1 = cluster.Site("dc1");
        var dc2 = cluster.Site("dc2");
        var witness = cluster.Witness();
        await cluster.WaitForLeaderInSiteAsync("dc1", TimeSpan.FromSeconds(20));
        var writes = new AcknowledgedWrites("stranded/");
        for (var i = 0; i < 5; i++)
            await writes.WriteUntilAcknowledgedAsync(() => [cluster.Client(dc1[0])], SiteFailover.FailoverBound, "write before the fault");
        await cluster.CaughtUpAsync(dc1[0], dc2, TimeSpan.FromSeconds(10));

        // dc2's voters stall; the dc1 leader commits with dc1's and the witness's acknowledgements only.
        foreach (var member in dc2)
            member.Pause();
        for (var i = 0; i < 20; i++)
            await writes.WriteUntilAcknowledgedAsync(() => [cluster.Client(dc1[i % dc1.Count])], SiteFailover.FailoverBound, "write committed without dc2");

        // dc1 is lost; the stale voters return, and a client writes through them all along.
        foreach (var member in dc1)
            member.Kill();
        var sinceLoss = Stopwatch.StartNew();
        foreach (var member in dc2)
            member.Resume();
        await using var writer = new BackgroundWriter("stranded-during/", () => cluster.LiveVoterClients(dc2));

        var leader = await cluster.WaitForVoterLeaderAsync(SiteFailover.FailoverBound, [.. dc2, witness]);
        var leaderAfter = sinceLoss.Elapsed;
        Assert.Contains(leader, dc2);
        await writes.WriteUntilAcknowledgedAsync(() => cluster.LiveVoterClients(dc2), SiteFailover.FailoverBound, "dc2 after the hand-off");
        var writeAfter = sinceLoss.Elapsed;
        var during = await writer.StopAsync();
        output.WriteLine($"writer through dc2 from its return: {during.Count} acknowledged, {during.Refused} refused or unknown");
        foreach (var member in dc2)
        {
            await writes.AssertIntactAsync(cluster.Client(member));
            await during.AssertIntactAsync(cluster.Client(member));
        }

        // The hand-off is on record, completed with the voter that took over.
        var handoff = await Eventually.GetAsync(async () => (await cluster.StatusAsync(leader)).LastHandoff is { CompletedAt: not null } h ? h : null,
            TimeSpan.FromSeconds(5), "the witness's hand-off on record");
        Assert.Equal(LeadershipHandoffKinds.WitnessCatchUp, handoff.Kind);
        Assert.Equal(witness.Id, handoff.FromMemberId);
        Assert.Contains(handoff.ToMemberId, dc2.Select(m => m.Id));

        var scenario = $"1-stranded-witness-{layout}";
        SiteFailover.Report(output, scenario, wan, "voter-leader-after-loss", leaderAfter);
        SiteFailover.Report(output, scenario, wan, "first-write-after-loss", writeAfter);
        SiteFailover.Report(output, scenario, wan, "witness-led-for", handoff.ResignedAt!.Value - handoff.StartedAt);
    }
}
