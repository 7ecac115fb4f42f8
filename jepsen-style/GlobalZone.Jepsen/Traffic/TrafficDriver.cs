using System.Diagnostics;
using GlobalZone.Jepsen.Checker;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>
/// Runs every client concurrently, each issuing one operation at a time at its share of the target rate, until told
/// to stop issuing. Operations already in flight finish (each has its own timeout), so the history ends complete.
/// </summary>
internal static class TrafficDriver
{
    public static async Task<TrafficStats> RunAsync(IWorkload workload, IReadOnlyList<ClientContext> clients, double operationsPerSecond, CancellationToken stopIssuing, CancellationToken abort, RunLog log)
    {
        var stats = new TrafficStats();
        var interval = TimeSpan.FromSeconds(clients.Count / Math.Max(0.001, operationsPerSecond));
        await Task.WhenAll(clients.Select(client => Task.Run(() => ClientLoopAsync(workload, client, interval, stats, stopIssuing, abort, log), CancellationToken.None))).ConfigureAwait(false);
        return stats;
    }

    private static async Task ClientLoopAsync(IWorkload workload, ClientContext client, TimeSpan interval, TrafficStats stats, CancellationToken stopIssuing, CancellationToken abort, RunLog log)
    {
        // Stagger the clients over one interval so the load is even rather than in bursts.
        var next = Stopwatch.GetTimestamp() + (long)(interval.TotalSeconds * Stopwatch.Frequency * client.Random.NextDouble());
        while (!stopIssuing.IsCancellationRequested && !abort.IsCancellationRequested)
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, stopIssuing).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            next = Math.Max(next + (long)(interval.TotalSeconds * Stopwatch.Frequency), Stopwatch.GetTimestamp());
            OperationStatus status;
            try
            {
                status = await workload.InvokeAsync(client, abort).ConfigureAwait(false);
            }
            catch (Exception e) when (!abort.IsCancellationRequested)
            {
                // A harness bug must not end the run silently; the operation stays indeterminate in the history.
                stats.HarnessError();
                log.Info($"client {client.Index}: harness error {e.GetType().Name}: {e.Message}");
                status = OperationStatus.Info;
            }

            stats.Count(status);
            if (status == OperationStatus.Info)
                client.Crashed();
        }
    }
}
