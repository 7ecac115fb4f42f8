using System.Diagnostics;
using System.Globalization;
using System.Text;
using GlobalZone.ClusterRunner;
using GlobalZone.Jepsen.Client;
using GlobalZone.Jepsen.Report;
using GlobalZone.Jepsen.Traffic.BigValues;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>
/// <c>--preload-mb N</c>: before traffic starts, N MiB of state in 100 KiB values (transactions of 8, so each request
/// stays under the value limit) plus a thousand small keys, under <c>preload/</c>, which no workload reads. A large
/// state is what makes snapshots, catch-up and member replacement slow; the run reports how long loading took.
/// Loading is set-up, not part of the history: each transaction is retried (over the voters) until it succeeds.
/// </summary>
internal static class Preload
{
    public const string Prefix = "preload/";
    private const int ValueBytes = 100 << 10;
    private const int ValuesPerTransaction = 8;
    private const int SmallKeys = 1000;
    private const int SmallKeysPerTransaction = 128;

    // Two requests in flight: enough to keep the leader busy, not so many that a two-core machine thrashes.
    private const int Concurrency = 2;
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(20);

    /// <exception cref="TimeoutException">Loading did not finish within 20 minutes.</exception>
    public static async Task<PreloadReport> RunAsync(IReadOnlyList<MemberSpec> voters, GzHttpClient http, int megabytes, RunLog log, CancellationToken abort)
    {
        var started = Stopwatch.GetTimestamp();
        var bigValues = (int)Math.Ceiling(megabytes * (1024.0 * 1024.0) / ValueBytes);
        var batches = new List<string>();
        for (var first = 0; first < bigValues; first += ValuesPerTransaction)
        {
            batches.Add(Transaction(Enumerable.Range(first, Math.Min(ValuesPerTransaction, bigValues - first)).Select(i =>
            {
                var key = string.Create(CultureInfo.InvariantCulture, $"{Prefix}big/{i:D6}");
                return (key, "\"" + Encoding.ASCII.GetString(BigValueContent.Create(key, 1, ValueBytes)) + "\"");
            })));
        }

        for (var first = 0; first < SmallKeys; first += SmallKeysPerTransaction)
        {
            batches.Add(Transaction(Enumerable.Range(first, Math.Min(SmallKeysPerTransaction, SmallKeys - first))
                .Select(i => (string.Create(CultureInfo.InvariantCulture, $"{Prefix}small/{i:D5}"), i.ToString(CultureInfo.InvariantCulture)))));
        }

        log.Info($"preloading {megabytes} MiB: {bigValues} values of {ValueBytes / 1024} KiB and {SmallKeys} small keys in {batches.Count} transactions");
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(abort);
        giveUp.CancelAfter(GiveUpAfter);
        var next = -1;
        var retries = 0;
        var done = 0;
        var workers = Enumerable.Range(0, Concurrency).Select(worker => Task.Run(async () =>
        {
            var member = worker;
            for (var batch = Interlocked.Increment(ref next); batch < batches.Count; batch = Interlocked.Increment(ref next))
            {
                while (true)
                {
                    giveUp.Token.ThrowIfCancellationRequested();
                    var call = await http.PostAsync(voters[member % voters.Count], "/v1/txn", batches[batch], giveUp.Token).ConfigureAwait(false);
                    if (call.Outcome == CallOutcome.Ok)
                        break;
                    if (call.Outcome == CallOutcome.Rejected)
                        throw new InvalidOperationException($"the cluster refused a preload transaction: {call.ErrorText}");
                    // The same puts again are harmless (the same values), so anything else is simply retried elsewhere.
                    Interlocked.Increment(ref retries);
                    member++;
                    await Task.Delay(TimeSpan.FromMilliseconds(200), giveUp.Token).ConfigureAwait(false);
                }

                if (Interlocked.Increment(ref done) % 100 == 0)
                    log.Info($"preload: {done} of {batches.Count} transactions");
            }
        }, CancellationToken.None)).ToList();
        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!abort.IsCancellationRequested)
        {
            throw new TimeoutException($"preloading {megabytes} MiB did not finish within {GiveUpAfter.TotalMinutes:0} minutes ({done} of {batches.Count} transactions)");
        }

        var result = new PreloadReport(megabytes, (long)bigValues * ValueBytes, bigValues + SmallKeys, Stopwatch.GetElapsedTime(started).TotalSeconds, retries);
        log.Info($"preloaded {result.Bytes / (1024 * 1024)} MiB in {result.Keys} keys in {result.Seconds:0.0} s ({result.Bytes / (1024.0 * 1024.0) / Math.Max(0.001, result.Seconds):0.0} MiB/s, {retries} retries)");
        return result;
    }

    private static string Transaction(IEnumerable<(string Key, string Json)> puts)
    {
        var body = new StringBuilder("{\"success\":[");
        var first = true;
        foreach (var (key, json) in puts)
        {
            body.Append(first ? "" : ",").Append("{\"op\":\"put\",\"key\":\"").Append(key).Append("\",\"value\":").Append(json).Append('}');
            first = false;
        }

        return body.Append("]}").ToString();
    }
}
