using System.Diagnostics;
using System.Globalization;

namespace GlobalZone.Cli.Bench;

/// <summary>
/// Runs N closed-loop clients (each sends its next request when the previous answers) for a warm-up, then for the
/// measured duration. Only requests that start and finish inside the measured window count, so neither JIT warm-up
/// nor the drain at the end skews the figures.
/// </summary>
internal sealed class BenchRunner(BenchSettings settings, IBenchTarget target)
{
    private const int PhaseWarmup = 0;
    private const int PhaseMeasure = 1;
    private const int PhaseDone = 2;
    private int phase = PhaseWarmup;
    private long measureStart;
    private long measureEnd;
    private long uniqueSequence;

    public async Task<BenchResult> RunAsync(CancellationToken token)
    {
        if (settings.Mode is not BenchMode.Write)
        {
            Progress($"preloading {settings.Keys} keys...");
            await target.PreloadAsync(settings.Keys, Math.Min(settings.Clients, 64), token).ConfigureAwait(false);
        }

        var recorder = new LatencyRecorder(settings.Clients, (int)Math.Min(1_000_000, settings.Duration.TotalSeconds * 20_000 / settings.Clients + 16));
        var runId = DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture) + "-" + Random.Shared.Next(1000, 9999).ToString(CultureInfo.InvariantCulture);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        var clients = Enumerable.Range(0, settings.Clients).Select(c => Task.Run(() => ClientLoopAsync(c, runId, recorder, stop.Token), CancellationToken.None)).ToArray();

        var started = Stopwatch.GetTimestamp();
        await ReportProgressUntilAsync(recorder, started, settings.Warmup, "warm-up", token).ConfigureAwait(false);
        var leadershipBefore = await target.DescribeLeadershipAsync(token).ConfigureAwait(false);
        Volatile.Write(ref measureStart, Stopwatch.GetTimestamp());
        Volatile.Write(ref phase, PhaseMeasure);
        var before = recorder.Totals;
        await ReportProgressUntilAsync(recorder, Stopwatch.GetTimestamp(), settings.Duration, "measure", token).ConfigureAwait(false);
        Volatile.Write(ref measureEnd, Stopwatch.GetTimestamp());
        Volatile.Write(ref phase, PhaseDone);
        stop.Cancel();
        await Task.WhenAll(clients).ConfigureAwait(false);
        var leadershipAfter = await target.DescribeLeadershipAsync(token).ConfigureAwait(false);
        if (settings.Progress)
            Console.Error.WriteLine();

        var elapsed = Stopwatch.GetElapsedTime(measureStart, measureEnd);
        var summary = recorder.Summarize();
        var errors = recorder.Errors.ToDictionary(e => e.Key, e => e.Value);
        return new BenchResult(settings, target.Description, elapsed, summary, errors, summary.Count / elapsed.TotalSeconds)
        {
            LeadershipBefore = leadershipBefore,
            LeadershipAfter = leadershipAfter,
        };
    }

    private async Task ClientLoopAsync(int client, string runId, LatencyRecorder recorder, CancellationToken stop)
    {
        var random = new Random(unchecked(client * 7919 + Environment.TickCount));
        while (!stop.IsCancellationRequested)
        {
            var read = settings.Mode switch
            {
                BenchMode.Read or BenchMode.StaleRead => true,
                BenchMode.Mixed => random.NextDouble() < settings.ReadRatio,
                _ => false,
            };
            var startedIn = Volatile.Read(ref phase);
            var started = Stopwatch.GetTimestamp();
            string? error;
            try
            {
                error = read
                    ? await target.ReadAsync(client, random.Next(settings.Keys), settings.Mode == BenchMode.StaleRead, stop).ConfigureAwait(false)
                    : await target.WriteAsync(client, WriteKey(client, runId, random), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return; // cut off at the end: neither counted nor an error
            }

            var ended = Stopwatch.GetTimestamp();
            var measured = startedIn == PhaseMeasure && Volatile.Read(ref phase) == PhaseMeasure;
            if (error is null)
                recorder.Success(client, ended - started, measured);
            else
                recorder.Failure(error, measured);
        }
    }

    private string WriteKey(int client, string runId, Random random)
        => settings.WritePattern == WritePattern.Hot
            ? "hot/" + random.Next(settings.HotKeys).ToString(CultureInfo.InvariantCulture)
            : "w/" + runId + "/" + client.ToString(CultureInfo.InvariantCulture) + "/" + Interlocked.Increment(ref uniqueSequence).ToString(CultureInfo.InvariantCulture);

    private async Task ReportProgressUntilAsync(LatencyRecorder recorder, long from, TimeSpan length, string label, CancellationToken token)
    {
        var last = recorder.Totals;
        var lastAt = Stopwatch.GetTimestamp();
        while (true)
        {
            var remaining = length - Stopwatch.GetElapsedTime(from);
            if (remaining <= TimeSpan.Zero)
                return;
            await Task.Delay(remaining < TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1), token).ConfigureAwait(false);
            if (!settings.Progress)
                continue;
            var now = recorder.Totals;
            var seconds = Stopwatch.GetElapsedTime(lastAt).TotalSeconds;
            var done = now.Completed - last.Completed;
            var mean = done > 0 ? (now.LatencyTicks - last.LatencyTicks) * 1000.0 / Stopwatch.Frequency / done : 0;
            Progress(string.Create(CultureInfo.InvariantCulture,
                $"{label,-8} {Stopwatch.GetElapsedTime(from).TotalSeconds,5:F0}/{length.TotalSeconds:F0} s  {done / seconds,9:F0} req/s  mean {mean,7:F2} ms  errors {now.Failed - last.Failed}"));
            last = now;
            lastAt = Stopwatch.GetTimestamp();
        }
    }

    private void Progress(string line)
    {
        if (settings.Progress)
            Console.Error.Write("\r" + line.PadRight(90));
    }
}

/// <summary>The outcome of one run.</summary>
internal sealed record BenchResult(BenchSettings Settings, string TargetDescription, TimeSpan Measured, LatencySummary Latency, IReadOnlyDictionary<string, long> Errors, double Throughput)
{
    /// <summary>Leader and term when measuring began and ended (an election in between skews the figures).</summary>
    public string? LeadershipBefore { get; init; }

    public string? LeadershipAfter { get; init; }

    public bool LeaderChanged => LeadershipBefore != LeadershipAfter;
}
