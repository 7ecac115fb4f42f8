using System.CommandLine;
using GlobalZone.Jepsen.Report;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Commands;

/// <summary>
/// <c>gz-jepsen check FOLDER</c>: checks a results folder's <c>history.jsonl</c> again (e.g. with a larger budget,
/// or after a checker change) and redraws its report. Same exit codes as <c>run</c>.
/// </summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("folder") { Description = "A results folder written by 'run'" };
        var budget = new Option<double>("--check-timeout") { Description = "Seconds the checker may take before answering unknown", DefaultValueFactory = _ => 300 };
        var command = new Command("check", "Check a results folder's history again and redraw its report") { folder, budget };
        command.SetAction(result =>
        {
            var path = Path.GetFullPath(result.GetValue(folder)!);
            try
            {
                var (validity, report) = Recheck(path, TimeSpan.FromSeconds(result.GetValue(budget)));
                Console.Write(ResultsFolder.Summary(report));
                Console.WriteLine($"report: {Path.Combine(path, ResultsFolder.ReportFile)}");
                return (int)validity;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException or System.Text.Json.JsonException or ArgumentException)
            {
                Console.Error.WriteLine($"cannot check {path}: {e.Message}");
                return (int)Validity.Unknown;
            }
        });
        return command;
    }

    /// <summary>Validates the saved history with the run's checkers and rewrites the verdict and pictures.</summary>
    internal static (Validity Validity, RunReport Report) Recheck(string folder, TimeSpan budget)
    {
        var report = ResultsFolder.ReadReport(folder);
        var history = ResultsFolder.ReadHistory(folder);
        var results = RunChecks.Validate(report.Workload, report.BigValues, history, budget);
        var validity = ValidationResult.Worst(results.Select(r => r.Validity).Append(report.Recovery.Recovered ? Validity.Valid : Validity.Invalid));
        report = report with
        {
            Verdict = validity.ToString().ToLowerInvariant(),
            ExitCode = (int)validity,
            Checker = RunChecks.ToReport(results[0]),
            OtherCheckers = results.Skip(1).Select(RunChecks.ToReport).ToList(),
            Operations = OperationCounts.Of(history),
            Unavailability = FaultUnavailability.Of(history, new RunClock(report.Clock.Origin, report.Clock.Frequency), report.Faults),
        };
        ResultsFolder.WriteReport(folder, report, history, RunChecks.Headline(results));
        return (validity, report);
    }
}
