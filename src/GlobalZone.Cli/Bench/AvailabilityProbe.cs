using System.Diagnostics;
using System.Net;

namespace GlobalZone.Cli.Bench;

/// <summary>
/// A steady writer (a fresh key per call, one at a time) and a steady linearizable reader through whichever members
/// <c>targets</c> names at the moment, each noting when its calls succeeded. The longest stretch without a success
/// that overlaps a fault is that operation's unavailability window: measured by polling, never assumed from timers.
/// </summary>
internal sealed class AvailabilityProbe : IAsyncDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(3);
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource stop = new();
    private readonly List<double> writeAcks = [];
    private readonly List<double> readAcks = [];
    private readonly HttpClient http;
    private readonly Task writer;
    private readonly Task reader;
    private long acknowledged;

    public AvailabilityProbe(HttpMessageHandler handler, string prefix, Func<IReadOnlyList<string>> targets)
    {
        http = new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        writer = Task.Run(() => LoopAsync(targets, writeAcks, (url, n, token) => WriteAsync(url, $"{prefix}k{n:D7}", token)));
        reader = Task.Run(() => LoopAsync(targets, readAcks, (url, _, token) => ReadAsync(url, $"{prefix}probe", token)));
    }

    /// <summary>Milliseconds on the probe's clock (to mark when a fault began).</summary>
    public double Now => clock.Elapsed.TotalMilliseconds;

    /// <summary>Writes acknowledged so far.</summary>
    public long Acknowledged => Interlocked.Read(ref acknowledged);

    /// <summary>Waits until a write and a read have both succeeded after <paramref name="since"/>.</summary>
    public async Task WaitForSuccessAfterAsync(double since, TimeSpan timeout, CancellationToken token)
    {
        var deadline = Stopwatch.StartNew();
        while (!(LastAfter(writeAcks, since) && LastAfter(readAcks, since)))
        {
            if (deadline.Elapsed > timeout)
                throw new TimeoutException($"No write and read succeeded within {timeout.TotalSeconds:F0} s after the fault.");
            await Task.Delay(10, token).ConfigureAwait(false);
        }
    }

    /// <summary>The longest stretch without an acknowledged write that ends after <paramref name="faultAt"/> (the last success before it counts as its start).</summary>
    public double WriteGapAround(double faultAt) => GapAround(writeAcks, faultAt);

    /// <summary>As <see cref="WriteGapAround"/>, for linearizable reads.</summary>
    public double ReadGapAround(double faultAt) => GapAround(readAcks, faultAt);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(writer, reader).ConfigureAwait(false);
        http.Dispose();
        stop.Dispose();
    }

    private async Task LoopAsync(Func<IReadOnlyList<string>> targets, List<double> acks, Func<string, long, CancellationToken, Task<bool>> call)
    {
        var turn = 0L;
        while (!stop.IsCancellationRequested)
        {
            var candidates = targets();
            if (candidates.Count > 0 && await call(candidates[(int)(turn % candidates.Count)], turn++, stop.Token).ConfigureAwait(false))
            {
                lock (acks)
                    acks.Add(clock.Elapsed.TotalMilliseconds);
            }
            else
            {
                try
                {
                    await Task.Delay(5, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<bool> WriteAsync(string url, string key, CancellationToken token)
    {
        var ok = await TryAsync(() => new HttpRequestMessage(HttpMethod.Put, $"{url}/v1/kv/{key}") { Content = new StringContent("\"v\"", System.Text.Encoding.UTF8, "application/json") }, token).ConfigureAwait(false);
        if (ok)
            Interlocked.Increment(ref acknowledged);
        return ok;
    }

    private Task<bool> ReadAsync(string url, string key, CancellationToken token)
        => TryAsync(() => new HttpRequestMessage(HttpMethod.Get, $"{url}/v1/kv/{key}?consistency=linearizable"), token);

    private async Task<bool> TryAsync(Func<HttpRequestMessage> request, CancellationToken token)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(CallTimeout);
        try
        {
            using var message = request();
            using var response = await http.SendAsync(message, deadline.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotFound;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return false;
        }
    }

    private static bool LastAfter(List<double> acks, double since)
    {
        lock (acks)
            return acks.Count > 0 && acks[^1] > since;
    }

    private static double GapAround(List<double> acks, double faultAt)
    {
        double[] times;
        lock (acks)
            times = [.. acks];
        var before = times.Where(t => t <= faultAt).DefaultIfEmpty(faultAt).Max();
        var after = times.Where(t => t > faultAt).ToList();
        if (after.Count == 0)
            return double.PositiveInfinity;
        // The first success after the fault closes the window; a second stall within 5 s (a re-election) counts too.
        var gap = after[0] - before;
        for (var i = 1; i < after.Count && after[i] - faultAt < 5_000; i++)
            gap = Math.Max(gap, after[i] - after[i - 1]);
        return gap;
    }
}
