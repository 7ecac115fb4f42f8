using System.Diagnostics;
using System.Net;
using GlobalZone.IntegrationTests.Witness;

namespace GlobalZone.IntegrationTests.Failover;

/// <summary>
/// A steady writer (fresh keys, one at a time, ledger in <see cref="AcknowledgedWrites"/>) and a steady linearizable
/// reader through a set of members while a fault plays out, each noting when its calls succeeded. The longest
/// stretch without a success that overlaps the fault is that operation's unavailability window, measured by
/// polling rather than asserted by timers.
/// </summary>
internal sealed class GapProbe : IAsyncDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(3);
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource stop = new();
    private readonly List<double> writeAcks = new();
    private readonly List<double> readAcks = new();
    private readonly Task writer;
    private readonly Task reader;

    public GapProbe(string prefix, Func<IReadOnlyList<HttpClient>> clients)
    {
        Writes = new AcknowledgedWrites(prefix);
        writer = Task.Run(async () =>
        {
            var turn = 0;
            while (!stop.IsCancellationRequested)
            {
                var candidates = clients();
                if (candidates.Count > 0 && await Writes.TryWriteAsync(candidates[turn++ % candidates.Count], CallTimeout))
                {
                    lock (writeAcks)
                        writeAcks.Add(clock.Elapsed.TotalMilliseconds);
                }
                else
                {
                    await Task.Delay(5);
                }
            }
        });
        reader = Task.Run(async () =>
        {
            var turn = 0;
            while (!stop.IsCancellationRequested)
            {
                var candidates = clients();
                if (candidates.Count > 0 && await TryReadAsync(candidates[turn++ % candidates.Count], prefix))
                {
                    lock (readAcks)
                        readAcks.Add(clock.Elapsed.TotalMilliseconds);
                }
                else
                {
                    await Task.Delay(5);
                }
            }
        });
    }

    /// <summary>Read only after <see cref="StopAsync"/>.</summary>
    public AcknowledgedWrites Writes { get; }

    /// <summary>Milliseconds on the probe's clock (to mark when a fault began).</summary>
    public double Now => clock.Elapsed.TotalMilliseconds;

    /// <summary>Waits until at least one write and one read succeeded after <paramref name="since"/>.</summary>
    public async Task WaitForSuccessAfterAsync(double since, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (LastAfter(writeAcks, since) && LastAfter(readAcks, since))
                return;
            await Task.Delay(10);
        }

        throw new TimeoutException($"No write and read succeeded within {timeout} after the fault.");
    }

    /// <summary>The longest stretch without an acknowledged write that ends after <paramref name="faultAt"/> (the last success before it counts as its start).</summary>
    public double WriteGapAround(double faultAt) => GapAround(writeAcks, faultAt);

    /// <summary>As <see cref="WriteGapAround"/>, for linearizable reads.</summary>
    public double ReadGapAround(double faultAt) => GapAround(readAcks, faultAt);

    public async Task<AcknowledgedWrites> StopAsync()
    {
        stop.Cancel();
        await Task.WhenAll(writer, reader);
        return Writes;
    }

    public async ValueTask DisposeAsync()
    {
        if (!stop.IsCancellationRequested)
            await StopAsync();
        stop.Dispose();
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
        var gap = after[0] - before;
        for (var i = 1; i < after.Count && after[i] - faultAt < 5_000; i++)
            gap = Math.Max(gap, after[i] - after[i - 1]);
        return gap;
    }

    private static async Task<bool> TryReadAsync(HttpClient client, string prefix)
    {
        using var deadline = new CancellationTokenSource(CallTimeout);
        try
        {
            using var response = await client.GetAsync($"/v1/kv/{prefix}probe?consistency=linearizable", deadline.Token);
            return response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return false;
        }
    }
}
