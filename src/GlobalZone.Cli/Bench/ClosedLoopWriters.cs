using System.Collections.Concurrent;
using System.Diagnostics;

namespace GlobalZone.Cli.Bench;

/// <summary>
/// Closed-loop writers (each sends its next write when the last is answered), every acknowledgement timestamped so
/// that a window (before a join, during it) can be cut out afterwards. What one write is belongs to the caller
/// (GlobalZone's or etcd's API), so both scale benchmarks measure the same way.
/// </summary>
internal sealed class ClosedLoopWriters : IAsyncDisposable
{
    private readonly ConcurrentQueue<(long At, double Ms)> answers = new();
    private readonly CancellationTokenSource stop = new();
    private Task[] tasks = [];
    private int errors;

    /// <param name="writers">How many writers.</param>
    /// <param name="writeOnce">Sends write number n of writer w; true when it was acknowledged.</param>
    public static ClosedLoopWriters Start(int writers, Func<int, int, CancellationToken, Task<bool>> writeOnce)
    {
        var load = new ClosedLoopWriters();
        load.tasks = [.. Enumerable.Range(0, writers).Select(w => Task.Run(() => load.WriteAsync(w, writeOnce)))];
        return load;
    }

    private async Task WriteAsync(int writer, Func<int, int, CancellationToken, Task<bool>> writeOnce)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var sent = Stopwatch.GetTimestamp();
            try
            {
                if (await writeOnce(writer, n, stop.Token).ConfigureAwait(false))
                    answers.Enqueue((Stopwatch.GetTimestamp(), Stopwatch.GetElapsedTime(sent).TotalMilliseconds));
                else
                    Interlocked.Increment(ref errors);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref errors);
            }
        }
    }

    /// <summary>The writes acknowledged between two <see cref="Stopwatch"/> timestamps.</summary>
    public WriteWindow Window(long from, long to)
    {
        var latencies = answers.Where(a => a.At >= from && a.At <= to).Select(a => a.Ms).Order().ToList();
        double Percentile(double p) => latencies.Count == 0 ? 0 : latencies[(int)Math.Min(latencies.Count - 1, Math.Ceiling(latencies.Count * p) - 1)];
        return new WriteWindow(latencies.Count, (to - from) / (double)Stopwatch.Frequency, Percentile(0.5), Percentile(0.99), latencies.Count == 0 ? 0 : latencies[^1], Volatile.Read(ref errors));
    }

    public async Task StopAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        stop.Dispose();
    }
}
