using System.Text.Json;

namespace GlobalZone.IntegrationTests.Operations;

/// <summary>The <c>gz</c> operator commands against a real three-voter cluster.</summary>
public sealed class GzCommandTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Status_kv_and_exit_codes_work_against_a_running_cluster()
    {
        await using var cluster = await TestCluster.StartAsync("gz-cli", "2+1+0", output);
        var endpoints = cluster.Members.Select(m => m.Url).ToArray();

        var status = await GzTool.RunAsync(endpoints, Timeout, "status", "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        using (var json = JsonDocument.Parse(status.Stdout))
        {
            var root = json.RootElement;
            var leader = await cluster.WaitForLeaderAsync();
            Assert.Equal(leader.Id, root.GetProperty("leader").GetString());
            Assert.True(root.GetProperty("healthy").GetBoolean(), status.Stdout);
            var members = root.GetProperty("members").EnumerateArray().ToList();
            Assert.Equal(3, members.Count);
            Assert.All(members, m => Assert.Equal("ok", m.GetProperty("health").GetString()));
            Assert.Single(members, m => m.GetProperty("state").GetString() == "leader");
        }

        var table = await GzTool.RunAsync(endpoints, Timeout, "status");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("dc2-a", table.Stdout);
        Assert.Contains("MEMBER", table.Stdout);

        var put = await GzTool.RunAsync(endpoints, Timeout, "kv", "put", "ops/greeting", "hello world");
        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.StartsWith("revision ", put.Stdout);
        var revision = long.Parse(put.Stdout.Trim()["revision ".Length..]);

        var get = await GzTool.RunAsync(endpoints, Timeout, "kv", "get", "ops/greeting");
        Assert.Equal("hello world", get.Stdout.Trim());

        var record = await GzTool.RunAsync(endpoints, Timeout, "kv", "get", "ops/greeting", "--json", "--consistency", "stale");
        using (var json = JsonDocument.Parse(record.Stdout))
            Assert.Equal(revision, json.RootElement.GetProperty("modRevision").GetInt64());

        // Compare-and-swap: a stale revision fails with exit code 3, the current one succeeds.
        var stale = await GzTool.RunAsync(endpoints, Timeout, "kv", "put", "ops/greeting", "\"second\"", "--if-mod-revision", (revision + 100).ToString());
        Assert.True(stale.ExitCode == 3, stale.ToString());
        var swap = await GzTool.RunAsync(endpoints, Timeout, "kv", "put", "ops/greeting", "{\"n\":2}", "--if-mod-revision", revision.ToString());
        Assert.True(swap.ExitCode == 0, swap.ToString());

        await GzTool.RunAsync(endpoints, Timeout, "kv", "put", "ops/other", "1");
        var list = await GzTool.RunAsync(endpoints, Timeout, "kv", "list", "ops/");
        Assert.Equal(["ops/greeting\t{\"n\":2}", "ops/other\t1"], list.Stdout.Trim().Split('\n'));

        var delete = await GzTool.RunAsync(endpoints, Timeout, "kv", "del", "ops/", "--prefix");
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Contains("deleted 2", delete.Stdout);

        var missing = await GzTool.RunAsync(endpoints, Timeout, "kv", "get", "ops/greeting");
        Assert.True(missing.ExitCode == 2, missing.ToString());

        // No member answers (a port nobody listens on): 4, "unavailable", as documented, not the generic 1.
        using var nobody = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        nobody.Start();
        var deadPort = ((System.Net.IPEndPoint)nobody.LocalEndpoint).Port;
        nobody.Stop();
        var unreachable = await GzTool.RunAsync([$"http://127.0.0.1:{deadPort}"], Timeout, "kv", "get", "ops/greeting");
        Assert.True(unreachable.ExitCode == 4, unreachable.ToString());
    }

    [Fact]
    public async Task Leader_transfer_moves_leadership_to_the_named_voter_and_releases_the_others()
    {
        await using var cluster = await TestCluster.StartAsync("gz-transfer", "2+1+0", output);
        var endpoints = cluster.Members.Select(m => m.Url).ToArray();
        var leader = await cluster.WaitForLeaderAsync();
        // Stay inside the preferred site (dc1) so leader placement does not move it back during the test.
        var target = cluster.Members.First(m => m.Spec.Site == "dc1" && m.Id != leader.Id);

        var transfer = await GzTool.RunAsync(endpoints, Timeout, "leader", "transfer", "--to", target.Id);
        Assert.True(transfer.ExitCode == 0, transfer.ToString());
        Assert.Equal(target.Id, (await cluster.WaitForLeaderAsync()).Id);

        // Every voter is a candidate again: with the new leader killed, another voter takes over.
        target.Kill();
        var next = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(20), cluster.Members.Where(m => m.Id != target.Id));
        Assert.NotEqual(target.Id, next.Id);
    }

    [Fact]
    public async Task Bench_reports_throughput_and_ordered_percentiles_as_json()
    {
        await using var cluster = await TestCluster.StartAsync("gz-bench", "2+1+0", output);
        var endpoints = cluster.Members.Select(m => m.Url).ToArray();

        foreach (var mode in new[] { "write", "read" })
        {
            var bench = await GzTool.RunAsync(endpoints, TimeSpan.FromSeconds(45),
                "bench", "--mode", mode, "--clients", "4", "--duration", "2", "--warmup", "1", "--keys", "50", "--json", "--no-progress");
            Assert.True(bench.ExitCode == 0, bench.ToString());
            output.WriteLine(bench.Stdout);
            using var json = JsonDocument.Parse(bench.Stdout);
            var root = json.RootElement;
            Assert.Equal(mode, root.GetProperty("mode").GetString());
            Assert.True(root.GetProperty("ok").GetInt64() > 10, bench.Stdout);
            Assert.True(root.GetProperty("throughput").GetDouble() > 5, bench.Stdout);
            Assert.Empty(root.GetProperty("errors").EnumerateObject());
            var latency = root.GetProperty("latencyMs");
            var p50 = latency.GetProperty("p50").GetDouble();
            var p99 = latency.GetProperty("p99").GetDouble();
            var max = latency.GetProperty("max").GetDouble();
            Assert.True(p50 > 0 && p50 <= p99 && p99 <= max, bench.Stdout);
        }

        // The write run's keys are really there.
        var client = cluster.Client(cluster.Members[0]);
        using var listing = JsonDocument.Parse(await client.GetStringAsync("/v1/kv/bench/w/?prefix&keysOnly&limit=10"));
        Assert.NotEmpty(listing.RootElement.GetProperty("kvs").EnumerateArray());
    }
}
