using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GlobalZone.Cli.Http;
using GlobalZone.ClusterRunner;

namespace GlobalZone.Cli.Bench;

/// <summary>What <c>gz bench scale</c> measured.</summary>
internal sealed record ScaleResult(
    long StateBytes, int LargeValues, int SmallKeys, TimeSpan LoadTime,
    WriteWindow Before, WriteWindow DuringJoin, TimeSpan JoinTime, TimeSpan RestartTime,
    IReadOnlyDictionary<string, long> RssBytes, IReadOnlyList<string> SnapshotLines);

/// <summary>Writes acknowledged in one window: count, rate, latency percentiles.</summary>
internal sealed record WriteWindow(int Count, double Seconds, double P50Ms, double P99Ms, double MaxMs, int Errors)
{
    public double PerSecond => Count / Math.Max(Seconds, 0.001);
}

/// <summary>
/// <c>gz bench scale</c>: starts a local three-voter cluster at default settings, loads a large state (default 1 GiB:
/// 10,000 values of 100 KiB and 1,000,000 small keys, scaled by <c>--size</c>), then measures what a large state costs:
/// a new member's join (snapshot out of band, then the log), the leader's write rate and p99 before and during that
/// join, a member's restart (kill -9, start, caught up), and each member's resident memory.
/// </summary>
internal sealed class ScaleBench(string root, long stateBytes, int writers, TextWriter progress)
{
    private const int LargeValueBytes = 100 << 10;
    private const long ReferenceBytes = 1L << 30;

    public async Task<ScaleResult> RunAsync(CancellationToken token)
    {
        var largeValues = (int)Math.Max(1, Math.Round(10_000.0 * stateBytes / ReferenceBytes));
        var smallKeys = (int)Math.Max(1, Math.Round(1_000_000.0 * stateBytes / ReferenceBytes));
        var layout = ClusterLayout.Parse("2+1+0", ClusterLayout.FreePort("127.0.0.1"));
        await using var cluster = LocalCluster.Create(layout, new ClusterSettings { RootDirectory = root, ClusterName = "scale-bench" });
        cluster.StartAll();
        var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60), token: token);
        using var client = new HttpClient { BaseAddress = new Uri(leader.Url), Timeout = TimeSpan.FromMinutes(2) };
        progress.WriteLine($"cluster up in {root}, leader {leader.Id}; loading {largeValues} x 100 KiB + {smallKeys} small keys");

        var load = Stopwatch.StartNew();
        await LoadAsync(client, largeValues, smallKeys, token);
        load.Stop();
        progress.WriteLine($"loaded in {load.Elapsed.TotalSeconds:F0} s");

        var small = "\"" + new string('w', 62) + "\"";
        await using var writes = ClosedLoopWriters.Start(writers, async (w, n, ct) =>
        {
            using var response = await client.PutAsync($"/v1/kv/scale/writes/{w}/{n:D8}", new StringContent(small, Encoding.UTF8, "application/json"), ct);
            return response.IsSuccessStatusCode;
        });
        await Task.Delay(TimeSpan.FromSeconds(3), token); // warm-up
        var beforeStart = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(10), token);
        var before = writes.Window(beforeStart, Stopwatch.GetTimestamp());
        progress.WriteLine($"before: {before.PerSecond:F0} writes/s, p99 {before.P99Ms:F1} ms");

        var fresh = cluster.AddJoiningMember("dc2-n", "dc2");
        fresh.Start();
        await BenchPolling.UntilAsync(async () => (await TryGetAsync(fresh.Url + "/healthz", token)) == HttpStatusCode.OK, TimeSpan.FromSeconds(60), token);
        var joinStart = Stopwatch.GetTimestamp();
        using (var join = new HttpClient { BaseAddress = new Uri(leader.Url), Timeout = TimeSpan.FromHours(2) })
        {
            var body = JsonSerializer.Serialize(new Dictionary<string, string> { ["url"] = fresh.Url, ["id"] = fresh.Id, ["site"] = "dc2", ["role"] = "voter" });
            using var reporting = CancellationTokenSource.CreateLinkedTokenSource(token);
            var reporter = ReportJoinAsync(fresh.Url, reporting.Token);
            using var response = await join.PostAsync("/v1/members", new StringContent(body, Encoding.UTF8, "application/json"), token);
            await reporting.CancelAsync();
            await reporter;
            if (!response.IsSuccessStatusCode)
                throw new GzException($"POST /v1/members answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(token)}");
        }

        var joinEnd = Stopwatch.GetTimestamp();
        var during = writes.Window(joinStart, joinEnd);
        var joinTime = Stopwatch.GetElapsedTime(joinStart, joinEnd);
        progress.WriteLine($"joined in {joinTime.TotalSeconds:F1} s; during: {during.PerSecond:F0} writes/s, p99 {during.P99Ms:F1} ms");
        await writes.StopAsync();

        var rss = new Dictionary<string, long>();
        foreach (var member in cluster.Members.Where(m => m.Pid is not null))
            rss[member.Id + (member.Id == leader.Id ? " (leader)" : "")] = BenchPolling.ResidentBytes(member.Pid!.Value);

        // Restart: a follower killed with -9 and started again, until it has applied what the leader had committed.
        var follower = cluster.Members.First(m => m.Id != leader.Id && m.Id != fresh.Id && !m.Spec.IsWitness);
        follower.Kill();
        var commit = (await client.GetFromJsonAsync<JsonElement>("/v1/cluster", token)).GetProperty("commitIndex").GetInt64();
        var restartStart = Stopwatch.GetTimestamp();
        follower.Start();
        await BenchPolling.UntilAsync(async () =>
        {
            try
            {
                using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
                var status = await probe.GetFromJsonAsync<JsonElement>(follower.Url + "/v1/cluster", token);
                return status.GetProperty("appliedIndex").GetInt64() >= commit;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !token.IsCancellationRequested)
            {
                return false;
            }
        }, TimeSpan.FromMinutes(30), token);
        var restart = Stopwatch.GetElapsedTime(restartStart);
        progress.WriteLine($"restart: {follower.Id} caught up {restart.TotalSeconds:F1} s after start");

        var lines = cluster.Members.SelectMany(m => File.Exists(m.LogPath) ? File.ReadLines(m.LogPath) : [])
            .Where(l => l.Contains("Snapshot file", StringComparison.Ordinal) || l.Contains(") received:", StringComparison.Ordinal))
            .ToList();
        await cluster.StopAllAsync(TimeSpan.FromSeconds(10));
        return new ScaleResult(stateBytes, largeValues, smallKeys, load.Elapsed, before, during, joinTime, restart, rss, lines);
    }

    /// <summary>The large values 4 at a time, then the small keys 128 to a transaction, 8 transactions at a time.</summary>
    private async Task LoadAsync(HttpClient client, int largeValues, int smallKeys, CancellationToken token)
    {
        var large = "\"" + new string('x', LargeValueBytes - 64) + "\"";
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, largeValues), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = token }, async (i, ct) =>
        {
            await PutWithRetryAsync(client, $"/v1/kv/scale/large/{i:D6}", large, ct);
            if (Interlocked.Increment(ref done) % 1000 == 0)
                progress.WriteLine($"  {done} large values");
        });
        var batches = (smallKeys + 127) / 128;
        done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, batches), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = token }, async (b, ct) =>
        {
            var ops = Enumerable.Range(b * 128, Math.Min(128, smallKeys - b * 128))
                .Select(i => $"{{\"op\":\"put\",\"key\":\"scale/small/{i:D7}\",\"value\":{i}}}");
            await PostWithRetryAsync(client, "/v1/txn", $"{{\"success\":[{string.Join(',', ops)}]}}", ct);
            if (Interlocked.Increment(ref done) % 1000 == 0)
                progress.WriteLine($"  {done * 128} small keys");
        });
    }

    private static async Task PutWithRetryAsync(HttpClient client, string path, string json, CancellationToken token)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var response = await client.PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), token);
            if (response.IsSuccessStatusCode)
                return;
            if (attempt >= 5)
                throw new GzException($"PUT {path} answered {(int)response.StatusCode}");
            await Task.Delay(500, token);
        }
    }

    private static async Task PostWithRetryAsync(HttpClient client, string path, string json, CancellationToken token)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), token);
            if (response.IsSuccessStatusCode)
                return;
            if (attempt >= 5)
                throw new GzException($"POST {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(token)}");
            await Task.Delay(500, token);
        }
    }

    private async Task ReportJoinAsync(string url, CancellationToken token)
    {
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(5), token);
                try
                {
                    var status = await probe.GetFromJsonAsync<JsonElement>(url + "/v1/cluster", token);
                    var line = $"  joining: applied index {status.GetProperty("appliedIndex").GetInt64()}";
                    if (status.TryGetProperty("snapshotTransfer", out var t) && t.ValueKind == JsonValueKind.Object)
                        line += ", " + Commands.CatchUpReporter.DescribeTransfer(t);
                    progress.WriteLine(line);
                }
                catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !token.IsCancellationRequested)
                {
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private static async Task<HttpStatusCode?> TryGetAsync(string url, CancellationToken token)
    {
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            using var response = await probe.GetAsync(url, token);
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
        {
            return null;
        }
    }
}
