using GlobalZone.Consensus;
using Microsoft.Extensions.Time.Testing;

namespace GlobalZone.UnitTests;

/// <summary>
/// The failover machinery reads its deadlines from the injected <see cref="TimeProvider"/>: a fake clock moves them
/// (nothing here waits for real time), and the system clock's monotonic milliseconds track real elapsed time.
/// </summary>
public sealed class ConsensusClockTests
{
    [Fact]
    public void Monotonic_milliseconds_follow_the_fake_clock()
    {
        var clock = new FakeTimeProvider();
        var start = clock.NowMs();
        clock.Advance(TimeSpan.FromMilliseconds(1500));
        Assert.Equal(1500, clock.NowMs() - start);
        clock.Advance(TimeSpan.FromDays(200)); // past where a nanosecond timestamp times 1000 would overflow a long
        Assert.Equal(1500 + (long)TimeSpan.FromDays(200).TotalMilliseconds, clock.NowMs() - start);
    }

    [Fact]
    public void Monotonic_milliseconds_of_the_system_clock_agree_with_a_stopwatch()
    {
        var started = TimeProvider.System.NowMs();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Thread.Sleep(50); // measuring real time is the point here
        var elapsed = TimeProvider.System.NowMs() - started;
        Assert.InRange(elapsed, watch.ElapsedMilliseconds - 2, watch.ElapsedMilliseconds + 2);
    }

    [Fact]
    public void A_peer_reports_age_is_measured_on_the_members_clock()
    {
        var clock = new FakeTimeProvider();
        var report = new MemberProgressReport { MemberId = "dc2-a", Term = 3, LastIndex = 10, LastTerm = 3, CommitIndex = 10, AppliedIndex = 10 };
        var seen = new ObservedProgress(report, clock.NowMs(), clock);
        Assert.Equal(0, seen.AgeMs);
        clock.Advance(TimeSpan.FromMilliseconds(750));
        Assert.Equal(750, seen.AgeMs);
    }

    [Fact]
    public void Hand_off_times_come_from_the_members_clock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
        var journal = new LeadershipHandoffJournal(clock);
        journal.Begin("preferred-site", "dc2-a", "dc1-a", term: 4);
        clock.Advance(TimeSpan.FromSeconds(2));
        journal.Resigned(detail: null);
        clock.Advance(TimeSpan.FromSeconds(1));
        journal.ObserveLeader("dc1-a");
        var last = journal.Last!;
        Assert.Equal(clock.Start, last.StartedAt);
        Assert.Equal(clock.Start.AddSeconds(2), last.ResignedAt);
        Assert.Equal(clock.Start.AddSeconds(3), last.CompletedAt);
        Assert.Equal("dc1-a", last.ToMemberId);
    }
}
