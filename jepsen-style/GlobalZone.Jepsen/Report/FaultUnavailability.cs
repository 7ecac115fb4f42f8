using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Failpoint;

namespace GlobalZone.Jepsen.Report;

/// <summary>
/// How long one fault stopped writes and reads for every client together: the longest stretch without a successful
/// write (write, compare-and-set, append) or read, counted from the last success before the fault began, over the
/// fault and the <see cref="Settle"/> after it healed. Null when nothing succeeded again in that span.
/// </summary>
/// <param name="Fault">1-based, as in the report's fault table.</param>
internal sealed record FaultUnavailability(int Fault, double? WriteGapMs, double? ReadGapMs)
{
    /// <summary>How long after healing a stall still counts toward the fault (a re-election after a heal, say).</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    public static IReadOnlyList<FaultUnavailability> Of(IReadOnlyList<Operation> history, RunClock clock, IReadOnlyList<FaultWindow> faults)
    {
        double[] Completions(Func<OperationKind, bool> kind) => history
            .Where(o => o.Status == OperationStatus.Ok && o.CompleteTime is not null && kind(o.Kind))
            .Select(o => clock.Seconds(o.CompleteTime!.Value))
            .Order()
            .ToArray();
        var writes = Completions(k => k is OperationKind.Write or OperationKind.CompareAndSet or OperationKind.Append);
        var reads = Completions(k => k == OperationKind.Read);
        return faults.Select((f, i) => new FaultUnavailability(i + 1, GapMs(writes, f), GapMs(reads, f))).ToList();
    }

    private static double? GapMs(double[] successes, FaultWindow fault)
    {
        var until = fault.End + Settle.TotalSeconds;
        var last = fault.Start;
        var before = Array.FindLastIndex(successes, t => t <= fault.Start);
        if (before >= 0)
            last = successes[before];
        double? longest = null;
        for (var i = before + 1; i < successes.Length && successes[i] <= until; i++)
        {
            longest = Math.Max(longest ?? 0, successes[i] - last);
            last = successes[i];
        }

        return longest * 1000;
    }
}
