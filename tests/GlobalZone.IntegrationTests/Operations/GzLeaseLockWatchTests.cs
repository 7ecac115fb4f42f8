using System.Text.Json;

namespace GlobalZone.IntegrationTests.Operations;

/// <summary><c>gz lease</c>, <c>gz lock NAME -- COMMAND</c> and <c>gz kv watch</c> against a real cluster.</summary>
public sealed class GzLeaseLockWatchTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task Lease_keys_go_with_the_lease_and_watch_prints_every_change_in_order()
    {
        await using var cluster = await TestCluster.StartAsync("gz-lease", "2+1+0", output);
        var endpoints = cluster.Members.Select(m => m.Url).ToArray();

        var grant = await GzTool.RunAsync(endpoints, Timeout, "lease", "grant", "30", "--json");
        Assert.True(grant.ExitCode == 0, grant.ToString());
        var lease = JsonDocument.Parse(grant.Stdout).RootElement.GetProperty("id").GetInt64();

        // Watch from the next revision: whenever the watcher connects, it sees every change after now.
        var now = (await KvHttp.ClusterAsync(cluster.Client(cluster.Members[0]))).GetProperty("revision").GetInt64();
        var watch = GzTool.RunAsync(endpoints.Reverse(), Timeout, "kv", "watch", "leased/", "--prefix", "--from-revision", (now + 1).ToString(), "--count", "3");

        Assert.Equal(0, (await GzTool.RunAsync(endpoints, Timeout, "kv", "put", "leased/a", "1", "--lease", lease.ToString())).ExitCode);
        Assert.Equal(0, (await GzTool.RunAsync(endpoints, Timeout, "kv", "put", "leased/b", "2", "--lease", lease.ToString())).ExitCode);

        var info = await GzTool.RunAsync(endpoints, Timeout, "lease", "get", lease.ToString(), "--keys");
        Assert.Contains("keys: leased/a, leased/b", info.Stdout);

        var revoke = await GzTool.RunAsync(endpoints, Timeout, "lease", "revoke", lease.ToString());
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.Contains("2 keys deleted", revoke.Stdout);
        Assert.Equal(2, (await GzTool.RunAsync(endpoints, Timeout, "kv", "get", "leased/a")).ExitCode);

        var watched = await watch;
        Assert.True(watched.ExitCode == 0, watched.ToString());
        var lines = watched.Stdout.Trim().Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("PUT leased/a 1 (revision ", lines[0]);
        Assert.StartsWith("PUT leased/b 2 (revision ", lines[1]);
        // The revoke deletes both keys in one revision.
        Assert.StartsWith("DELETE leased/a (revision ", lines[2]);
        Assert.StartsWith("DELETE leased/b (revision ", lines[3]);
        Assert.Equal(lines[2][lines[2].IndexOf('(')..], lines[3][lines[3].IndexOf('(')..]);
    }

    [Fact]
    public async Task Lock_runs_commands_one_at_a_time_with_growing_fencing_tokens_and_passes_their_exit_code()
    {
        await using var cluster = await TestCluster.StartAsync("gz-lock", "2+1+0", output);
        var endpoints = cluster.Members.Select(m => m.Url).ToArray();
        var journal = Path.Combine(cluster.Cluster.Settings.RootDirectory, "journal.txt");
        const string script = "echo \"start $GZ_LOCK_TOKEN $GZ_LOCK_FENCE\" >> \"$0\"; sleep 1; echo \"end $GZ_LOCK_TOKEN\" >> \"$0\"";

        var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
            GzTool.RunAsync(endpoints.Skip(i).Concat(endpoints.Take(i)), Timeout, "lock", "jobs/nightly", "--ttl", "5", "--", "sh", "-c", script, journal)));
        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.ToString()));

        // Never two holders at once: start/end pairs do not interleave, and each grant's token is larger.
        var lines = await File.ReadAllLinesAsync(journal);
        output.WriteLine(string.Join('\n', lines));
        Assert.Equal(6, lines.Length);
        var tokens = new List<long>();
        for (var i = 0; i < lines.Length; i += 2)
        {
            var start = lines[i].Split(' ');
            Assert.Equal("start", start[0]);
            Assert.Equal($"jobs/nightly:{start[1]}", start[2]);
            Assert.Equal($"end {start[1]}", lines[i + 1]);
            tokens.Add(long.Parse(start[1]));
        }

        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(3, tokens.Distinct().Count());

        var failing = await GzTool.RunAsync(endpoints, Timeout, "lock", "jobs/nightly", "--", "sh", "-c", "exit 7");
        Assert.Equal(7, failing.ExitCode);

        // Released afterwards: nobody holds it, and its leases are gone.
        using var state = JsonDocument.Parse(await cluster.Client(cluster.Members[0]).GetStringAsync("/v1/locks/jobs/nightly"));
        Assert.False(state.RootElement.TryGetProperty("holder", out var holder) && holder.ValueKind != JsonValueKind.Null, state.RootElement.GetRawText());
        var leases = await GzTool.RunAsync(endpoints, Timeout, "lease", "list");
        Assert.Equal("", leases.Stdout.Trim());
    }

    [Fact]
    public async Task Lock_stops_the_command_and_exits_6_within_the_ttl_when_every_member_hangs()
    {
        await using var cluster = await TestCluster.StartAsync("gz-lock-hang", "2+1+0", output);
        var endpoints = cluster.Members.Select(m => m.Url).ToArray();
        var held = Path.Combine(Path.GetTempPath(), $"gz-lock-held-{Guid.NewGuid():N}");
        // The default --wait (300 s) makes gz's HTTP timeout 330 s: the renewal must be counted down by the TTL instead.
        var run = GzTool.RunAsync(endpoints, TimeSpan.FromSeconds(90), "lock", "jobs/hang", "--ttl", "3", "--", "sh", "-c", $"touch '{held}'; exec sleep 600");
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!File.Exists(held))
            {
                Assert.True(DateTime.UtcNow < deadline && !run.IsCompleted, "the command did not start under the lock: " + (run.IsCompleted ? (await run).ToString() : "timeout"));
                await Task.Delay(50);
            }

            // Every member stalls (SIGSTOP): their sockets stay open, so renewals neither succeed nor fail.
            foreach (var member in cluster.Members)
                member.Pause();
            var paused = System.Diagnostics.Stopwatch.GetTimestamp();
            var result = await run;
            var after = System.Diagnostics.Stopwatch.GetElapsedTime(paused);
            output.WriteLine($"gz exited {after.TotalSeconds:F1} s after the members stalled\n{result}");
            Assert.True(result.ExitCode == 6, result.ToString());
            Assert.Contains("lost", result.Stderr);
            Assert.True(after < TimeSpan.FromSeconds(20), $"gz took {after.TotalSeconds:F1} s to give up a 3 s lease");
        }
        finally
        {
            foreach (var member in cluster.Members)
                member.Resume();
            File.Delete(held);
        }
    }
}
