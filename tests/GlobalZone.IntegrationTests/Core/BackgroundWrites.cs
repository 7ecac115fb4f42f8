using System.Collections.Concurrent;
using System.Diagnostics;

namespace GlobalZone.IntegrationTests.Core;

/// <summary>
/// One client writing keys one after another (each waits for the previous answer), recording when each was
/// acknowledged: what a test needs to say that writes kept going during some phase, and how fast.
/// </summary>
internal sealed class BackgroundWrites : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, long> acknowledged = new();
    private readonly ConcurrentQueue<(long At, double LatencyMs)> answers = new();
    private readonly CancellationTokenSource stop = new();
    private Task writer = Task.CompletedTask;

    public IReadOnlyDictionary<string, long> Acknowledged => acknowledged;

    public static BackgroundWrites Start(HttpClient client, string prefix)
    {
        var writes = new BackgroundWrites();
        writes.writer = Task.Run(async () =>
        {
            for (var n = 0; !writes.stop.IsCancellationRequested; n++)
            {
                var key = $"{prefix}{n:D6}";
                var sent = Stopwatch.GetTimestamp();
                writes.acknowledged[key] = await KvHttp.PutAsync(client, key, n.ToString(System.Globalization.CultureInfo.InvariantCulture));
                writes.answers.Enqueue((Stopwatch.GetTimestamp(), Stopwatch.GetElapsedTime(sent).TotalMilliseconds));
            }
        });
        return writes;
    }

    public async Task UntilAsync(int count, string what)
    {
        await Eventually.TrueAsync(() => Task.FromResult(acknowledged.Count >= count || writer.IsCompleted), TimeSpan.FromSeconds(20), what);
        if (writer.IsFaulted)
            await writer;
    }

    /// <summary>
    /// Stops the writer and asserts none of its writes failed, that it was acknowledged many times between
    /// <paramref name="since"/> and <paramref name="until"/> (<see cref="Stopwatch"/> timestamps), and that no write
    /// waited long then.
    /// </summary>
    public async Task AssertKeptGoingAsync(long since, long until, ITestOutputHelper output, string phase)
    {
        await stop.CancelAsync();
        await writer;
        var during = answers.Where(a => a.At >= since && a.At <= until).Select(a => a.LatencyMs).Order().ToList();
        var seconds = Math.Max((until - since) / (double)Stopwatch.Frequency, 0.001);
        var p99 = during.Count == 0 ? double.NaN : during[(int)Math.Min(during.Count - 1, Math.Ceiling(during.Count * 0.99) - 1)];
        output.WriteLine($"{phase}: {during.Count} writes in {seconds:F1} s ({during.Count / seconds:F0}/s), p99 {p99:F1} ms, max {(during.Count == 0 ? 0 : during[^1]):F1} ms");
        Assert.True(during.Count >= 10, $"only {during.Count} writes were acknowledged {phase}");
        Assert.True(during[^1] < 5000, $"a write waited {during[^1]:F0} ms {phase}");
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await writer;
        }
        catch (Exception)
        {
            // already reported by AssertKeptGoingAsync, or the test failed earlier
        }

        stop.Dispose();
    }
}
