using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using GlobalZone.Cli.Http;

namespace GlobalZone.Cli.Bench;

/// <summary>
/// <c>gz bench scale --target etcd</c>: the same large-state measurements as <see cref="ScaleBench"/>, on etcd (Debian's
/// <c>etcd-server</c>) at its default settings except the backend quota (8 GiB, etcd's documented maximum, so a 1 GiB
/// state fits): three members on 127.0.0.1, the same state loaded through the JSON gateway (transactions kept under
/// etcd's 1.5 MiB request and 128-operation limits), the same closed-loop writers on the leader, then a fourth member
/// added (<c>member add</c>, started with <c>--initial-cluster-state existing</c>) and timed until its revision reaches
/// the leader's at the moment it was added, then a follower killed with -9 and timed from its start until its revision
/// reaches the leader's. The join is timed like GlobalZone's (from the add to caught up), so the two tables compare.
/// </summary>
internal sealed class EtcdScaleBench(string root, long stateBytes, int writers, string etcdBinary, TextWriter progress)
{
    private const int LargeValueBytes = 100 << 10;
    private const long ReferenceBytes = 1L << 30;
    private const int LargePerTxn = 12; // 12 × 100 KiB, base64 in JSON: under etcd's 1.5 MiB request limit
    private const int SmallPerTxn = 128; // etcd's default --max-txn-ops
    private readonly List<EtcdMember> members = [];

    public async Task<ScaleResult> RunAsync(CancellationToken token)
    {
        var largeValues = (int)Math.Max(1, Math.Round(10_000.0 * stateBytes / ReferenceBytes));
        var smallKeys = (int)Math.Max(1, Math.Round(1_000_000.0 * stateBytes / ReferenceBytes));
        var basePort = FreePortPair();
        for (var i = 1; i <= 4; i++)
            members.Add(new EtcdMember($"e{i}", basePort + (i * 10), Path.Combine(root, $"e{i}")));
        try
        {
            var initial = string.Join(',', members.Take(3).Select(m => $"{m.Name}={m.PeerUrl}"));
            foreach (var member in members.Take(3))
                member.Start(etcdBinary, initial, "new");
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
            foreach (var member in members.Take(3))
                await BenchPolling.UntilAsync(() => HealthyAsync(http, member, token), TimeSpan.FromSeconds(60), token);
            var leader = await LeaderAsync(http, token);
            progress.WriteLine($"etcd up in {root}, leader {leader.Name}; loading {largeValues} x 100 KiB + {smallKeys} small keys");

            var load = Stopwatch.StartNew();
            await LoadAsync(http, leader, largeValues, smallKeys, token);
            load.Stop();
            progress.WriteLine($"loaded in {load.Elapsed.TotalSeconds:F0} s");

            var small = B64(new string('w', 64));
            await using var writes = ClosedLoopWriters.Start(writers, async (w, n, ct) =>
            {
                var body = $$"""{"key":"{{B64($"scale/writes/{w}/{n:D8}")}}","value":"{{small}}"}""";
                using var response = await http.PostAsync(leader.ClientUrl + "/v3/kv/put", new StringContent(body, Encoding.UTF8, "application/json"), ct);
                // The gateway answers 200 with an "error" member for gRPC failures.
                return response.IsSuccessStatusCode && !(await response.Content.ReadAsStringAsync(ct)).Contains("\"error\"", StringComparison.Ordinal);
            });
            await Task.Delay(TimeSpan.FromSeconds(3), token);
            var beforeStart = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromSeconds(10), token);
            var before = writes.Window(beforeStart, Stopwatch.GetTimestamp());
            progress.WriteLine($"before: {before.PerSecond:F0} writes/s, p99 {before.P99Ms:F1} ms");

            // Join: member add on the leader, then the new member started against the existing cluster.
            var fresh = members[3];
            var joinStart = Stopwatch.GetTimestamp();
            var target = await RevisionAsync(http, leader, token);
            await PostAsync(http, leader, "/v3/cluster/member/add", $$"""{"peerURLs":["{{fresh.PeerUrl}}"]}""", token);
            fresh.Start(etcdBinary, string.Join(',', members.Select(m => $"{m.Name}={m.PeerUrl}")), "existing");
            var reported = Stopwatch.GetTimestamp();
            await BenchPolling.UntilAsync(async () =>
            {
                var revision = await TryRevisionAsync(http, fresh, token);
                if (Stopwatch.GetElapsedTime(reported) > TimeSpan.FromSeconds(5))
                {
                    reported = Stopwatch.GetTimestamp();
                    progress.WriteLine($"  joining: revision {revision?.ToString(CultureInfo.InvariantCulture) ?? "-"} of {target}");
                }

                return revision >= target;
            }, TimeSpan.FromHours(1), token, TimeSpan.FromMilliseconds(100));
            var joinEnd = Stopwatch.GetTimestamp();
            var during = writes.Window(joinStart, joinEnd);
            var joinTime = Stopwatch.GetElapsedTime(joinStart, joinEnd);
            progress.WriteLine($"joined in {joinTime.TotalSeconds:F1} s; during: {during.PerSecond:F0} writes/s, p99 {during.P99Ms:F1} ms");
            await writes.StopAsync();

            var rss = members.Where(m => m.Pid is not null).ToDictionary(m => m.Name + (m == leader ? " (leader)" : ""), m => BenchPolling.ResidentBytes(m.Pid!.Value));

            var follower = members.Take(3).First(m => m != leader);
            follower.Kill();
            var restartTarget = await RevisionAsync(http, leader, token);
            var restartStart = Stopwatch.GetTimestamp();
            follower.Start(etcdBinary, string.Join(',', members.Select(m => $"{m.Name}={m.PeerUrl}")), "existing");
            await BenchPolling.UntilAsync(async () => (await TryRevisionAsync(http, follower, token)) >= restartTarget, TimeSpan.FromMinutes(30), token);
            var restart = Stopwatch.GetElapsedTime(restartStart);
            progress.WriteLine($"restart: {follower.Name} caught up {restart.TotalSeconds:F1} s after start");

            var dbSizes = new List<string>();
            foreach (var member in members)
            {
                if (await TryStatusAsync(http, member, token) is { } status && status.TryGetProperty("dbSize", out var size))
                    dbSizes.Add($"{member.Name} dbSize {long.Parse(size.GetString()!, CultureInfo.InvariantCulture) / 1048576.0:F0} MiB");
            }

            return new ScaleResult(stateBytes, largeValues, smallKeys, load.Elapsed, before, during, joinTime, restart, rss, dbSizes);
        }
        finally
        {
            foreach (var member in members)
                member.Kill();
        }
    }

    private async Task LoadAsync(HttpClient http, EtcdMember leader, int largeValues, int smallKeys, CancellationToken token)
    {
        var large = Convert.ToBase64String(Encoding.ASCII.GetBytes(new string('x', LargeValueBytes - 64)));
        var done = 0;
        var largeBatches = (largeValues + LargePerTxn - 1) / LargePerTxn;
        await Parallel.ForEachAsync(Enumerable.Range(0, largeBatches), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = token }, async (b, ct) =>
        {
            var ops = Enumerable.Range(b * LargePerTxn, Math.Min(LargePerTxn, largeValues - (b * LargePerTxn)))
                .Select(i => $$$"""{"requestPut":{"key":"{{{B64($"scale/large/{i:D6}")}}}","value":"{{{large}}}"}}""");
            await PostAsync(http, leader, "/v3/kv/txn", $$"""{"success":[{{string.Join(',', ops)}}]}""", ct);
            if (Interlocked.Add(ref done, LargePerTxn) % 1200 == 0)
                progress.WriteLine($"  {done} large values");
        });
        var batches = (smallKeys + SmallPerTxn - 1) / SmallPerTxn;
        done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, batches), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = token }, async (b, ct) =>
        {
            var ops = Enumerable.Range(b * SmallPerTxn, Math.Min(SmallPerTxn, smallKeys - (b * SmallPerTxn)))
                .Select(i => $$$"""{"requestPut":{"key":"{{{B64($"scale/small/{i:D7}")}}}","value":"{{{B64(i.ToString(CultureInfo.InvariantCulture))}}}"}}""");
            await PostAsync(http, leader, "/v3/kv/txn", $$"""{"success":[{{string.Join(',', ops)}}]}""", ct);
            if (Interlocked.Increment(ref done) % 1000 == 0)
                progress.WriteLine($"  {done * SmallPerTxn} small keys");
        });
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static async Task<string> PostAsync(HttpClient http, EtcdMember member, string path, string body, CancellationToken token)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var response = await http.PostAsync(member.ClientUrl + path, new StringContent(body, Encoding.UTF8, "application/json"), token);
            var text = await response.Content.ReadAsStringAsync(token);
            // The gateway answers 200 with an "error" member for gRPC failures.
            if (response.IsSuccessStatusCode && !text.Contains("\"error\"", StringComparison.Ordinal))
                return text;
            if (attempt >= 5)
                throw new GzException($"etcd {path} answered {(int)response.StatusCode}: {text[..Math.Min(300, text.Length)]}");
            await Task.Delay(500, token);
        }
    }

    private async Task<EtcdMember> LeaderAsync(HttpClient http, CancellationToken token)
    {
        EtcdMember? found = null;
        await BenchPolling.UntilAsync(async () =>
        {
            foreach (var member in members.Take(3))
            {
                if (await TryStatusAsync(http, member, token) is { } status
                    && status.GetProperty("leader").GetString() == status.GetProperty("header").GetProperty("member_id").GetString())
                {
                    found = member;
                    return true;
                }
            }

            return false;
        }, TimeSpan.FromSeconds(60), token);
        return found!;
    }

    private static async Task<long> RevisionAsync(HttpClient http, EtcdMember member, CancellationToken token)
        => await TryRevisionAsync(http, member, token) is { } revision ? revision : throw new GzException($"etcd {member.Name} did not report its revision");

    private static async Task<long?> TryRevisionAsync(HttpClient http, EtcdMember member, CancellationToken token)
        => await TryStatusAsync(http, member, token) is { } status ? long.Parse(status.GetProperty("header").GetProperty("revision").GetString()!, CultureInfo.InvariantCulture) : null;

    private static async Task<JsonElement?> TryStatusAsync(HttpClient http, EtcdMember member, CancellationToken token)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            using var response = await http.PostAsync(member.ClientUrl + "/v3/maintenance/status", new StringContent("{}", Encoding.UTF8, "application/json"), timeout.Token);
            if (!response.IsSuccessStatusCode)
                return null;
            var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token)).RootElement.Clone();
            return status.TryGetProperty("header", out _) && status.TryGetProperty("leader", out _) ? status : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !token.IsCancellationRequested)
        {
            return null;
        }
    }

    private static async Task<bool> HealthyAsync(HttpClient http, EtcdMember member, CancellationToken token)
    {
        try
        {
            using var response = await http.GetAsync(member.ClientUrl + "/health", token);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static int FreePortPair()
    {
        // Four members, client port and peer port each, 10 apart: a base below the ephemeral range, probed free.
        for (var candidate = 23000; candidate < 30000; candidate += 100)
        {
            if (Enumerable.Range(1, 4).All(i => PortFree(candidate + (i * 10)) && PortFree(candidate + (i * 10) + 1)))
                return candidate;
        }

        throw new GzException("no free ports for etcd between 23000 and 30000");
    }

    private static bool PortFree(int port)
    {
        try
        {
            var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <summary>One etcd process: client port, peer port one above, its own data folder and log file.</summary>
    private sealed class EtcdMember(string name, int clientPort, string directory)
    {
        private Process? process;

        public string Name => name;

        public string ClientUrl => $"http://127.0.0.1:{clientPort}";

        public string PeerUrl => $"http://127.0.0.1:{clientPort + 1}";

        public int? Pid => process is { HasExited: false } p ? p.Id : null;

        public void Start(string binary, string initialCluster, string state)
        {
            Directory.CreateDirectory(directory);
            var start = new ProcessStartInfo(binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[]
                     {
                         "--name", name, "--data-dir", Path.Combine(directory, "data"),
                         "--listen-client-urls", ClientUrl, "--advertise-client-urls", ClientUrl,
                         "--listen-peer-urls", PeerUrl, "--initial-advertise-peer-urls", PeerUrl,
                         "--initial-cluster", initialCluster, "--initial-cluster-state", state, "--initial-cluster-token", "gz-scale",
                         "--quota-backend-bytes", (8L << 30).ToString(CultureInfo.InvariantCulture),
                     })
            {
                start.ArgumentList.Add(argument);
            }

            process = Process.Start(start) ?? throw new GzException($"could not start {binary}");
            var log = new StreamWriter(Path.Combine(directory, "etcd.log"), append: true) { AutoFlush = true };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public void Kill()
        {
            if (process is not { HasExited: false } p)
                return;
            p.Kill();
            p.WaitForExit();
        }
    }
}
