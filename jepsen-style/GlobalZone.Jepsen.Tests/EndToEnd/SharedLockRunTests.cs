using GlobalZone.Jepsen.Scenarios;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Tests.EndToEnd;

/// <summary>
/// CI-sized runs of the rwlock and semaphore workloads against real clusters while the leader is killed (kill -9 needs
/// no privileges, unlike the partition nemeses the rwlock-faults and semaphore-faults scenarios add).
/// </summary>
public sealed class SharedLockRunTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("rwlock")]
    [InlineData("semaphore")]
    public async Task SharedLocksStayLegalWithGrowingTokensAcrossLeaderKills(string workload)
    {
        var outcome = await HarnessRun.ExecuteAsync(new RunOptions
        {
            Workload = workload,
            Nemesis = "kill-leader",
            Time = TimeSpan.FromSeconds(25),
            Interval = TimeSpan.FromSeconds(4),
            FaultDuration = TimeSpan.FromSeconds(5),
            Clients = 6,
            Rate = 30,
        }, output);

        Assert.True(outcome.Validity == Validity.Valid, outcome.Validation.Details);
        Assert.Equal(workload, outcome.Validation.Checker);
        Assert.True(outcome.Report.Faults.Count >= 2, $"only {outcome.Report.Faults.Count} faults");
        // A low bar: on a loaded 2-core machine the kills cost many 504s (seen: 15 inspected grants in 25 s, 239 unloaded).
        Assert.True(outcome.Validation.Figures["inspected"] > 5, $"only {outcome.Validation.Figures["inspected"]} inspected grants");
        // Sharing happened: several holders at once, which a plain lock would never show.
        Assert.True(outcome.Validation.Figures["most-holders-seen"] > 1, "never more than one holder at a time");
    }
}
