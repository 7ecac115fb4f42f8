using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Report;

/// <summary>
/// A run's results folder: <c>history.jsonl</c>, <c>verdict.json</c>, <c>summary.txt</c>, <c>report.html</c> with
/// <c>latency.svg</c>, <c>throughput.svg</c> and (for a failed check) <c>offending-operations.svg</c>,
/// <c>harness.log</c>, and <c>logs/</c> with every member's log.
/// </summary>
internal static class ResultsFolder
{
    public const string HistoryFile = "history.jsonl";
    public const string VerdictFile = "verdict.json";
    public const string SummaryFile = "summary.txt";
    public const string ReportFile = "report.html";
    public const string LatencyFile = "latency.svg";
    public const string ThroughputFile = "throughput.svg";
    public const string TimelineFile = "offending-operations.svg";
    public const string HarnessLogFile = "harness.log";
    public const string LogsFolder = "logs";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static void WriteHistory(string folder, IReadOnlyList<Operation> history)
        => HistoryJsonLines.WriteFile(Path.Combine(folder, HistoryFile), history);

    public static IReadOnlyList<Operation> ReadHistory(string folder)
        => HistoryJsonLines.ReadFile(Path.Combine(folder, HistoryFile));

    public static RunReport ReadReport(string folder)
        => JsonSerializer.Deserialize<RunReport>(File.ReadAllText(Path.Combine(folder, VerdictFile)), Json)
            ?? throw new InvalidDataException($"{VerdictFile} in {folder} is empty.");

    /// <summary>Writes the verdict, the summary, the pictures and the page.</summary>
    public static void WriteReport(string folder, RunReport report, IReadOnlyList<Operation> history, ValidationResult validation)
    {
        File.WriteAllText(Path.Combine(folder, VerdictFile), JsonSerializer.Serialize(report, Json));
        File.WriteAllText(Path.Combine(folder, SummaryFile), Summary(report));
        var clock = new RunClock(report.Clock.Origin, report.Clock.Frequency);
        var latency = LatencyChart.Render(history, clock, report.Faults, report.TrafficSeconds);
        var throughput = ThroughputChart.Render(history, clock, report.Faults, report.TrafficSeconds);
        File.WriteAllText(Path.Combine(folder, LatencyFile), latency);
        File.WriteAllText(Path.Combine(folder, ThroughputFile), throughput);
        string? timeline = null;
        var timelinePath = Path.Combine(folder, TimelineFile);
        if (validation.Offending.Count > 0)
        {
            timeline = OperationTimeline.Render(validation.Offending, validation.Context, clock, $"Offending operations ({validation.Checker})");
            File.WriteAllText(timelinePath, timeline);
        }
        else if (File.Exists(timelinePath))
        {
            File.Delete(timelinePath);
        }

        File.WriteAllText(Path.Combine(folder, ReportFile), HtmlReport.Render(report, latency, throughput, timeline));
    }

    /// <summary>Copies each member log into <c>logs/</c>; returns the relative path per member id.</summary>
    public static IReadOnlyDictionary<string, string> CopyMemberLogs(string folder, IEnumerable<(string Id, string LogPath)> members)
    {
        var logs = Path.Combine(folder, LogsFolder);
        Directory.CreateDirectory(logs);
        var copied = new Dictionary<string, string>();
        foreach (var (id, logPath) in members)
        {
            if (!File.Exists(logPath))
                continue;
            var relative = Path.Combine(LogsFolder, id + ".log");
            File.Copy(logPath, Path.Combine(folder, relative), overwrite: true);
            copied[id] = relative;
        }

        return copied;
    }

    private static string Ms(double? ms) => ms is { } value ? $"{value:0} ms" : "until the end (no success after it)";

    /// <summary>The few lines printed at the end of a run and kept in <c>summary.txt</c>.</summary>
    public static string Summary(RunReport report)
    {
        var text = new StringBuilder();
        text.AppendLine($"verdict: {report.Verdict.ToUpperInvariant()} (exit code {report.ExitCode})" + (report.ExpectedVerdict is { } expected ? $", scenario {report.Scenario} expects {expected}" : ""));
        text.AppendLine($"checker: {report.Checker.Name}: {report.Checker.Summary}");
        foreach (var other in report.OtherCheckers)
            text.AppendLine($"checker: {other.Name}: {other.Summary}");
        text.AppendLine($"run: {report.Workload} / {report.Nemesis} on {report.Layout}, {report.Clients} clients, reads {report.ReadConsistency}, {report.TimeSeconds:0} s of traffic, seed {report.Seed}");
        text.AppendLine($"operations: {report.Operations.Total} (ok {report.Operations.Count(OperationStatus.Ok)}, fail {report.Operations.Count(OperationStatus.Fail)}, info {report.Operations.Count(OperationStatus.Info)}), faults: {report.Faults.Count}");
        if (report.Preload is { } preload)
            text.AppendLine($"preload: {preload.Bytes / (1024 * 1024)} MiB in {preload.Keys} keys in {preload.Seconds:0.0} s");
        foreach (var gap in report.Unavailability)
            text.AppendLine($"fault {gap.Fault} ({report.Faults[gap.Fault - 1].Nemesis}): writes stopped {Ms(gap.WriteGapMs)}, reads stopped {Ms(gap.ReadGapMs)}");
        text.AppendLine(report.Recovery.Recovered ? $"recovery: one leader {report.Recovery.Seconds:0.0} s after healing" : $"recovery: NONE within {report.Recovery.Seconds:0.0} s after healing");
        foreach (var note in report.Notes)
            text.AppendLine("note: " + note);
        return text.ToString();
    }
}
