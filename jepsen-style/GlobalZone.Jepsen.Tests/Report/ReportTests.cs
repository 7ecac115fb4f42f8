using System.Diagnostics;
using System.Text.Json;
using GlobalZone.Jepsen.Commands;
using GlobalZone.Jepsen.Failpoint;
using GlobalZone.Jepsen.Report;
using GlobalZone.Jepsen.Traffic;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Tests.Report;

public sealed class ReportTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "gz-jepsen-report-test-" + Guid.NewGuid().ToString("N")[..8]);

    public ReportTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    // A stale read at 2.5 s inside a fault window from 2 s to 3 s; times are Stopwatch ticks from origin 0.
    private static IReadOnlyList<Operation> StaleReadHistory()
    {
        var second = Stopwatch.Frequency;
        return new Histories()
            .Write(0, "r/0", "1", second / 2, second)
            .Write(1, "r/0", "2", second * 2, second * 2 + second / 10)
            .Read(2, "r/0", "1", second * 5 / 2, second * 5 / 2 + second / 100)
            .Write(3, "r/0", "4", second * 3, null)
            .Operations;
    }

    private static RunReport Report(ValidationResult validation, IReadOnlyList<Operation> history) => new()
    {
        RunId = "test-run",
        Verdict = validation.Validity.ToString().ToLowerInvariant(),
        ExitCode = (int)validation.Validity,
        Scenario = "stale-read-proof",
        ExpectedVerdict = "invalid",
        Workload = "register",
        Nemesis = "partition-isolate-follower",
        Layout = "2+2+1",
        Clients = 4,
        Rate = 10,
        ReadConsistency = "stale",
        TimeSeconds = 4,
        IntervalSeconds = 2,
        FaultDurationSeconds = 1,
        OperationTimeoutMs = 1000,
        Seed = 1,
        StartedAt = DateTimeOffset.UnixEpoch,
        TrafficSeconds = 4,
        Checker = new CheckerReport(validation.Checker, validation.Validity.ToString().ToLowerInvariant(), validation.Summary, validation.Details, validation.Figures),
        Recovery = new RecoveryReport(true, 0.5),
        Operations = OperationCounts.Of(history),
        Faults = [new FaultWindow("partition-isolate-follower", "{dc1-a} | {dc1-b,dc2-a,dc2-b,dc3-w}", 2, 3)],
        Clock = new ClockReport(0, Stopwatch.Frequency),
        Members = [new MemberReport("dc1-a", "http://127.1.1.11:1", "dc1", "voter", "logs/dc1-a.log")],
    };

    [Fact]
    public void FailedCheckGetsAPageWithChartsFaultWindowsAndTheOffendingOperations()
    {
        var history = StaleReadHistory();
        var validation = new RegisterValidator().Validate(history, TimeSpan.FromSeconds(5));
        Assert.Equal(Validity.Invalid, validation.Validity);
        ResultsFolder.WriteHistory(folder, history);
        ResultsFolder.WriteReport(folder, Report(validation, history), history, validation);

        var html = File.ReadAllText(Path.Combine(folder, ResultsFolder.ReportFile));
        Assert.Contains("INVALID", html, StringComparison.Ordinal);
        Assert.Contains("the run behaved as expected", html, StringComparison.Ordinal);
        Assert.Equal(3, CountOf(html, "<svg"));
        Assert.Contains("partition-isolate-follower", File.ReadAllText(Path.Combine(folder, ResultsFolder.LatencyFile)), StringComparison.Ordinal);
        Assert.Contains("partition-isolate-follower", File.ReadAllText(Path.Combine(folder, ResultsFolder.ThroughputFile)), StringComparison.Ordinal);
        var timeline = File.ReadAllText(Path.Combine(folder, ResultsFolder.TimelineFile));
        Assert.Contains("r→1", timeline, StringComparison.Ordinal);
        Assert.Contains("#c62828", timeline, StringComparison.Ordinal);
        Assert.Contains("not linearizable", File.ReadAllText(Path.Combine(folder, ResultsFolder.SummaryFile)), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void PicturesAreWellFormedXml()
    {
        var history = StaleReadHistory();
        var validation = new RegisterValidator().Validate(history, TimeSpan.FromSeconds(5));
        ResultsFolder.WriteReport(folder, Report(validation, history), history, validation);
        foreach (var file in new[] { ResultsFolder.LatencyFile, ResultsFolder.ThroughputFile, ResultsFolder.TimelineFile })
        {
            var document = System.Xml.Linq.XDocument.Load(Path.Combine(folder, file));
            Assert.Equal("svg", document.Root!.Name.LocalName);
        }
    }

    [Fact]
    public void VerdictFileRoundTripsAndCheckReachesTheSameVerdict()
    {
        var history = StaleReadHistory();
        var validation = new RegisterValidator().Validate(history, TimeSpan.FromSeconds(5));
        ResultsFolder.WriteHistory(folder, history);
        ResultsFolder.WriteReport(folder, Report(validation, history), history, validation);

        var read = ResultsFolder.ReadReport(folder);
        Assert.Equal("invalid", read.Verdict);
        Assert.Equal(2, read.Faults[0].Start);
        Assert.Equal(1, read.Operations.ByKind["read"]["ok"]);

        var (validity, rechecked) = CheckCommand.Recheck(folder, TimeSpan.FromSeconds(5));
        Assert.Equal(Validity.Invalid, validity);
        Assert.Equal(1, rechecked.ExitCode);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, ResultsFolder.VerdictFile)));
        Assert.Equal("invalid", json.RootElement.GetProperty("verdict").GetString());
        Assert.Equal("linearizability", json.RootElement.GetProperty("checker").GetProperty("name").GetString());
    }

    [Fact]
    public void CheckJudgesBigValuesBesideTheWorkloadAndTheWorstVerdictWins()
    {
        // The register part is linearizable; the big-values part lost an acknowledged write on one voter.
        var history = new Histories()
            .Write(0, "r/0", "1", 0, 10).Read(1, "r/0", "1", 20, 30)
            .Write(ProcessIds.BigValueWriters, "big/0/raw/0", "seq=1 bytes=600000", 0, 10)
            .Read(ProcessIds.BigValueFinalReads, "big/0/raw/0", null, 40, 50, input: "dc1-a")
            .Operations;
        var workload = new RegisterValidator().Validate(history.Where(o => !o.Key.StartsWith("big/", StringComparison.Ordinal)).ToList(), TimeSpan.FromSeconds(5));
        ResultsFolder.WriteHistory(folder, history);
        ResultsFolder.WriteReport(folder, Report(workload, history) with { BigValues = true }, history, workload);

        var (validity, rechecked) = CheckCommand.Recheck(folder, TimeSpan.FromSeconds(5));

        Assert.Equal(Validity.Invalid, validity);
        Assert.Equal("valid", rechecked.Checker.Verdict);
        var big = Assert.Single(rechecked.OtherCheckers);
        Assert.Equal(BigValueChecker.Name, big.Name);
        Assert.Equal("invalid", big.Verdict);
        Assert.Equal(1, big.Figures["lost"]);
        Assert.Contains("checker: big-values: INVALID", File.ReadAllText(Path.Combine(folder, ResultsFolder.SummaryFile)), StringComparison.Ordinal);
        Assert.Contains("Checker: big-values (invalid)", File.ReadAllText(Path.Combine(folder, ResultsFolder.ReportFile)), StringComparison.Ordinal);
        Assert.Contains("big/0/raw/0", File.ReadAllText(Path.Combine(folder, ResultsFolder.TimelineFile)), StringComparison.Ordinal);
        Assert.True(ResultsFolder.ReadReport(folder).BigValues);
    }

    [Fact]
    public void ValidRunHasNoOffendingOperationsPicture()
    {
        var history = new Histories().Write(0, "r/0", "1", 0, 10).Read(1, "r/0", "1", 20, 30).Operations;
        var validation = new RegisterValidator().Validate(history, TimeSpan.FromSeconds(5));
        ResultsFolder.WriteReport(folder, Report(validation, history), history, validation);
        Assert.False(File.Exists(Path.Combine(folder, ResultsFolder.TimelineFile)));
        Assert.Equal(2, CountOf(File.ReadAllText(Path.Combine(folder, ResultsFolder.ReportFile)), "<svg"));
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal))
            count++;
        return count;
    }
}
