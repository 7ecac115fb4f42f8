using GlobalZone.Jepsen.Failpoint;

namespace GlobalZone.Jepsen.Tests.Failpoint;

public sealed class NemesisScheduleTests
{
    [Fact]
    public async Task FaultsTakeTurnsEachHealedBeforeTheNextAndWithinTheRunsTime()
    {
        var events = new List<string>();
        var turns = new INemesis[] { new RecordingNemesis("a", events), new RecordingNemesis("b", events) };
        using var log = new RunLog(_ => { });
        var clock = new RunClock();

        // 0.1 s quiet + 0.3 s fault = 0.4 s a turn; 3 s of run leaves room for several turns.
        var windows = await NemesisSchedule.RunAsync(turns, new NemesisContext(null!, new Random(1), log), clock,
            TimeSpan.FromSeconds(0.1), TimeSpan.FromSeconds(0.3), TimeSpan.FromSeconds(3), CancellationToken.None);

        Assert.True(windows.Count >= 3, $"{windows.Count} windows");
        Assert.Equal(windows.Select((_, i) => i % 2 == 0 ? "a" : "b"), windows.Select(w => w.Nemesis));
        Assert.Equal(Enumerable.Range(0, windows.Count).SelectMany(i => new[] { $"inject {windows[i].Nemesis}", $"heal {windows[i].Nemesis}" }), events);
        for (var i = 1; i < windows.Count; i++)
            Assert.True(windows[i].Start >= windows[i - 1].End, "windows overlap");
        Assert.All(windows, w => Assert.True(w.End - w.Start >= 0.25, $"{w} too short"));
        // A fault that starts before the run's end still lasts its full window (3 s + 0.3 s); the rest is slack for
        // timers slipping while other tests load this 2-core machine. A schedule that ignored the run's end would
        // keep going for many more turns.
        Assert.True(windows[^1].End <= 4.5, $"last fault ended at {windows[^1].End}");
    }

    [Fact]
    public async Task AbortingHealsTheFaultInProgress()
    {
        var events = new List<string>();
        using var log = new RunLog(_ => { });
        using var abort = new CancellationTokenSource(TimeSpan.FromSeconds(0.5));
        var windows = await NemesisSchedule.RunAsync([new RecordingNemesis("a", events)], new NemesisContext(null!, new Random(1), log), new RunClock(),
            TimeSpan.FromSeconds(0.1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), abort.Token);

        Assert.Equal(["inject a", "heal a"], events);
        Assert.Single(windows);
    }

    private sealed class RecordingNemesis(string name, List<string> events) : INemesis
    {
        public string Name => name;

        public bool NeedsPartitioner => false;

        public Task<string> InjectAsync(NemesisContext context, CancellationToken token)
        {
            lock (events)
                events.Add("inject " + name);
            return Task.FromResult("did " + name);
        }

        public Task HealAsync(NemesisContext context, CancellationToken token)
        {
            lock (events)
                events.Add("heal " + name);
            return Task.CompletedTask;
        }
    }
}
