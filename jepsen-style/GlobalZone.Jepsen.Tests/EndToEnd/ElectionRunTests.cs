using GlobalZone.Jepsen.Scenarios;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Tests.EndToEnd;

/// <summary>The election workload on real clusters: its checker catches stalled unfenced leaders, and fencing holds across leader kills.</summary>
public sealed class ElectionRunTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ElectionWithoutFencingLetsAStalledLeaderActAfterItsSuccessor()
    {
        var outcome = await HarnessRun.ExecuteAsync(ScenarioCatalog.Apply("election-unfenced-pause", new RunOptions()) with { Time = TimeSpan.FromSeconds(15) }, output);

        Assert.Equal(Validity.Invalid, outcome.Validity);
        Assert.Equal("election", outcome.Validation.Checker);
        Assert.True(outcome.Validation.Figures["overlaps"] > 0, outcome.Validation.Details);
        Assert.NotEmpty(outcome.Validation.Offending);
    }

    [Fact]
    public async Task FencedElectionKeepsOneLeaderAtATimeAcrossLeaderKills()
    {
        var outcome = await HarnessRun.ExecuteAsync(new RunOptions
        {
            Workload = "election",
            LockFencing = true,
            ClientPauseEvery = 6,
            Nemesis = "kill-leader",
            Time = TimeSpan.FromSeconds(20),
            Interval = TimeSpan.FromSeconds(3),
            FaultDuration = TimeSpan.FromSeconds(5),
            Clients = 4,
            Rate = 20,
        }, output);

        Assert.True(outcome.Validity == Validity.Valid, outcome.Validation.Details);
        Assert.True(outcome.Validation.Figures["stalled-leaders"] > 0, "no leader stalled");
        Assert.True(outcome.Validation.Figures["acting-terms"] > 5, outcome.Validation.Summary);
        Assert.True(outcome.Report.Faults.Count > 0, "no fault was injected");
    }
}
