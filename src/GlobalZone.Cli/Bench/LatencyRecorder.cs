using System.Collections.Concurrent;
using System.Diagnostics;

namespace GlobalZone.Cli.Bench;

/// <summary>
/// Every measured request's latency, one list per client (only that client writes it, so no locks on the hot path),
/// merged and sorted once at the end for exact percentiles; plus live counters for the progress line.
/// </summary>
internal sealed class LatencyRecorder
{
    private readonly List<long>[] samples;
    private readonly ConcurrentDictionary<string, long> errors = new(StringComparer.Ordinal);
    private long completed;
    private long failed;
    private long latencyTicks;

    public LatencyRecorder(int clients, int expectedPerClient)
    {
        samples = new List<long>[clients];
        for (var i = 0; i < clients; i++)
            samples[i] = new List<long>(expectedPerClient);
    }

    /// <summary>Counts a success; its latency joins the percentiles only while <paramref name="measured"/>.</summary>
    public void Success(int client, long elapsedTicks, bool measured)
    {
        Interlocked.Increment(ref completed);
        Interlocked.Add(ref latencyTicks, elapsedTicks);
        if (measured)
            samples[client].Add(elapsedTicks);
    }

    public void Failure(string kind, bool measured)
    {
        Interlocked.Increment(ref failed);
        if (measured)
            errors.AddOrUpdate(kind, 1, static (_, n) => n + 1);
    }

    /// <summary>Live totals (every phase) for the progress line.</summary>
    public (long Completed, long Failed, long LatencyTicks) Totals
        => (Interlocked.Read(ref completed), Interlocked.Read(ref failed), Interlocked.Read(ref latencyTicks));

    public IReadOnlyDictionary<string, long> Errors => errors;

    /// <summary>Call after every client has stopped.</summary>
    public LatencySummary Summarize()
    {
        var all = new long[samples.Sum(s => s.Count)];
        var offset = 0;
        foreach (var list in samples)
        {
            list.CopyTo(all, offset);
            offset += list.Count;
        }

        Array.Sort(all);
        return LatencySummary.From(all);
    }
}

/// <summary>Latency percentiles in milliseconds over the measured successes.</summary>
internal sealed record LatencySummary(long Count, double Mean, double P50, double P90, double P99, double P999, double Max)
{
    public static LatencySummary From(long[] sortedTicks)
    {
        if (sortedTicks.Length == 0)
            return new LatencySummary(0, 0, 0, 0, 0, 0, 0);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        double At(double quantile) => Ms(sortedTicks[Math.Min(sortedTicks.Length - 1, (int)Math.Ceiling(quantile * sortedTicks.Length) - 1)]);
        return new LatencySummary(
            sortedTicks.Length,
            Ms((long)sortedTicks.Average()),
            At(0.50), At(0.90), At(0.99), At(0.999),
            Ms(sortedTicks[^1]));
    }
}
