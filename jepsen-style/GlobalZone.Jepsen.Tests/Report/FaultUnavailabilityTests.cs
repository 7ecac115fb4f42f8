using GlobalZone.Jepsen.Failpoint;
using GlobalZone.Jepsen.Report;

namespace GlobalZone.Jepsen.Tests.Report;

/// <summary>The report's per-fault unavailability: the longest stretch without a success, from the last one before the fault.</summary>
public sealed class FaultUnavailabilityTests
{
    // Times in milliseconds: a clock of 1000 ticks a second with its origin at 0.
    private static readonly RunClock Clock = new(0, 1000);

    [Fact]
    public void GapRunsFromTheLastSuccessBeforeTheFaultToTheLongestStallWithinItAndItsSettling()
    {
        var history = new Histories()
            .Write(0, "k", "1", 900, 1_000)      // last write before the fault (fault at 2 s)
            .Write(0, "k", "2", 1_000, 3_500, OperationStatus.Fail)
            .Write(0, "k", "3", 3_500, 3_600)    // first write after: 2.6 s since the last
            .Write(0, "k", "4", 3_600, 3_700)
            .Write(0, "k", "5", 3_700, 30_000)   // far after heal + settle: not counted
            .Read(1, "k", "1", 1_500, 1_900)
            .Read(1, "k", "1", 1_900, 2_100)     // a read succeeded right after the fault began...
            .Read(1, "k", "4", 2_100, 6_100)     // ...then a 4 s stall inside the window
            .Operations;
        var faults = new[] { new FaultWindow("kill", "dc1-a", Start: 2, End: 5), new FaultWindow("kill", "dc1-b", Start: 40, End: 41) };

        var gaps = FaultUnavailability.Of(history, Clock, faults);

        Assert.Equal(2, gaps.Count);
        Assert.Equal(2_600, gaps[0].WriteGapMs!.Value, 3);
        Assert.Equal(4_000, gaps[0].ReadGapMs!.Value, 3);
        Assert.Null(gaps[1].WriteGapMs); // nothing succeeded after the second fault
        Assert.Null(gaps[1].ReadGapMs);
    }
}
