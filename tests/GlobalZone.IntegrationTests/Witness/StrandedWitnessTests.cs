using System.Diagnostics;
using GlobalZone.Contracts;

namespace GlobalZone.IntegrationTests.Witness;

/// <summary>
/// Scenario 1, the case a plain standby witness cannot handle: the dc2 voter stalls, the dc1 leader commits with
/// the witness alone, then dc1 is lost and the stale dc2 voter comes back. The witness holds the only copy of the
/// newest writes and refuses its vote to the older voter; without the hand-off nobody could lead until dc1 returned.
/// </summary>
public sealed class StrandedWitnessTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StaleVoterLeadsWithEveryWriteOnceTheWitnessHandsOver(bool wan)
    {
        await using var cluster = await SiteFailover.StartAsync("stranded", "1+1+1", output, wan);
        var dc1 = cluster["dc1-a"];
        var dc2 = cluster["dc2-a"];
        var witness = cluster.Witness();
        await cluster.WaitForLeaderInSiteAsync("dc1", TimeSpan.FromSeconds(20));
        var writes = new AcknowledgedWrites("stranded/");
        for (var i = 0; i < 5; i++)
            Assert.True(await writes.TryWriteAsync(cluster.Client(dc1), TimeSpan.FromSeconds(5)), "write before the fault");
        await cluster.CaughtUpAsync(dc1, [dc2], TimeSpan.FromSeconds(10));

        // dc2's voter stalls; the dc1 leader commits with the witness's acknowledgement only.
        dc2.Pause();
        for (var i = 0; i < 20; i++)
            Assert.True(await writes.TryWriteAsync(cluster.Client(dc1), TimeSpan.FromSeconds(5)), "write committed by dc1 and the witness");

        // dc1 is lost; the stale voter returns.
        dc1.Kill();
        var sinceLoss = Stopwatch.StartNew();
        dc2.Resume();

        var leader = await cluster.WaitForVoterLeaderAsync(SiteFailover.FailoverBound, [dc2, witness]);
        var leaderAfter = sinceLoss.Elapsed;
        Assert.Equal(dc2.Id, leader.Id);
        await writes.WriteUntilAcknowledgedAsync(() => [cluster.Client(dc2)], SiteFailover.FailoverBound, "dc2 after the hand-off");
        var writeAfter = sinceLoss.Elapsed;
        await writes.AssertIntactAsync(cluster.Client(dc2));

        // The hand-off is on record, completed with the voter that took over.
        var handoff = await Eventually.GetAsync(async () => (await cluster.StatusAsync(dc2)).LastHandoff is { CompletedAt: not null } h ? h : null,
            TimeSpan.FromSeconds(5), "the witness's hand-off on record");
        Assert.Equal(LeadershipHandoffKinds.WitnessCatchUp, handoff.Kind);
        Assert.Equal(witness.Id, handoff.FromMemberId);
        Assert.Equal(dc2.Id, handoff.ToMemberId);

        SiteFailover.Report(output, "1-stranded-witness", wan, "voter-leader-after-loss", leaderAfter);
        SiteFailover.Report(output, "1-stranded-witness", wan, "first-write-after-loss", writeAfter);
        SiteFailover.Report(output, "1-stranded-witness", wan, "witness-led-for", (handoff.ResignedAt!.Value - handoff.StartedAt));
    }
}
