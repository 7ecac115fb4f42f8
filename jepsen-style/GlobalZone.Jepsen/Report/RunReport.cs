using GlobalZone.Jepsen.Failpoint;

namespace GlobalZone.Jepsen.Report;

/// <summary>
/// Everything <c>verdict.json</c> says about a run: what was run, what happened, what the checker concluded. The
/// <c>check</c> command reads it back (with <c>history.jsonl</c>) to check and draw a run again.
/// </summary>
internal sealed record RunReport
{
    public required string RunId { get; init; }

    /// <summary>valid, invalid or unknown.</summary>
    public required string Verdict { get; init; }

    /// <summary>0 valid, 1 invalid, 2 unknown.</summary>
    public required int ExitCode { get; init; }

    public string? Scenario { get; init; }

    /// <summary>What the scenario expects (the stale-read proof expects invalid), when it says.</summary>
    public string? ExpectedVerdict { get; init; }

    public required string Workload { get; init; }

    public required string Nemesis { get; init; }

    public required string Layout { get; init; }

    public required int Clients { get; init; }

    public required double Rate { get; init; }

    public required string ReadConsistency { get; init; }

    public bool ReadsFromIsolatedMember { get; init; }

    /// <summary>Lock workload only: whether protected writes carried the fencing token.</summary>
    public bool? LockFencing { get; init; }

    /// <summary>Lock workload only: every how many critical sections a holder stalled past its lease (0 = never).</summary>
    public int? ClientPauseEvery { get; init; }

    public required double TimeSeconds { get; init; }

    public required double IntervalSeconds { get; init; }

    public required double FaultDurationSeconds { get; init; }

    public required double OperationTimeoutMs { get; init; }

    public required int Seed { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Wall time of the whole run: cluster start to report.</summary>
    public double WallSeconds { get; init; }

    /// <summary>Seconds from the start of traffic to the end of the final reads (the charts' time range).</summary>
    public required double TrafficSeconds { get; init; }

    /// <summary>The workload's checker.</summary>
    public required CheckerReport Checker { get; init; }

    /// <summary>Checks run beside the workload's (e.g. <c>big-values</c>); the verdict is the worst of all of them.</summary>
    public IReadOnlyList<CheckerReport> OtherCheckers { get; init; } = [];

    /// <summary>Whether the <c>--big-values</c> writers ran beside the workload.</summary>
    public bool BigValues { get; init; }

    /// <summary>What <c>--preload-mb</c> loaded before traffic, and how long it took; null without preload.</summary>
    public PreloadReport? Preload { get; init; }

    public required RecoveryReport Recovery { get; init; }

    public required OperationCounts Operations { get; init; }

    public required IReadOnlyList<FaultWindow> Faults { get; init; }

    /// <summary>Per fault, how long writes and reads stopped for every client together (see <see cref="FaultUnavailability"/>).</summary>
    public IReadOnlyList<FaultUnavailability> Unavailability { get; init; } = [];

    /// <summary>The history's time base: Stopwatch timestamp of second 0 and ticks per second.</summary>
    public required ClockReport Clock { get; init; }

    public required IReadOnlyList<MemberReport> Members { get; init; }

    /// <summary>Anything else worth knowing (harness errors, final reads that failed).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>The checker's conclusion.</summary>
internal sealed record CheckerReport(string Name, string Verdict, string Summary, string Details, IReadOnlyDictionary<string, long> Figures);

/// <summary>What <c>--preload-mb</c> loaded (MiB asked, bytes of large values, keys) and how long it took.</summary>
internal sealed record PreloadReport(int Megabytes, long Bytes, int Keys, double Seconds, int Retries);

/// <summary>Whether every member agreed on a leader again after the last fault was healed, and how long that took.</summary>
internal sealed record RecoveryReport(bool Recovered, double Seconds);

/// <summary>The history's time base.</summary>
internal sealed record ClockReport(long Origin, long Frequency);

/// <summary>One member and where its log was copied to.</summary>
internal sealed record MemberReport(string Id, string Url, string Site, string Role, string? Log);
