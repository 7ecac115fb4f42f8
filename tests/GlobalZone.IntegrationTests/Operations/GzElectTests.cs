using System.Diagnostics;
using System.Text.Json;
using GlobalZone.Client;
using GlobalZone.IntegrationTests.Client;

namespace GlobalZone.IntegrationTests.Operations;

/// <summary><c>gz elect NAME -- COMMAND</c> and <c>gz elect NAME --observe</c> against a real cluster.</summary>
public sealed class GzElectTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Elect_runs_one_leader_at_a_time_with_growing_tokens_and_passes_the_exit_code()
    {
        await using var cluster = await TestCluster.StartAsync("gz-elect", "2+1+0", output);
        var endpoints = cluster.Members.Select(m => m.Url).ToArray();
        var journal = Path.Combine(cluster.Cluster.Settings.RootDirectory, "journal.txt");
        const string script = "echo \"start $GZ_LOCK_TOKEN $GZ_LOCK_FENCE $GZ_ELECTION_NAME\" >> \"$0\"; sleep 1; echo \"end $GZ_LOCK_TOKEN\" >> \"$0\"";

        var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
            GzTool.RunAsync(endpoints.Skip(i).Concat(endpoints.Take(i)), Timeout, "elect", "jobs/leader", "--ttl", "10", "--value", $"runner-{i}", "--", "sh", "-c", script, journal)));
        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.ToString()));

        var lines = await File.ReadAllLinesAsync(journal);
        output.WriteLine(string.Join('\n', lines));
        Assert.Equal(6, lines.Length);
        var tokens = new List<long>();
        for (var i = 0; i < lines.Length; i += 2)
        {
            var start = lines[i].Split(' ');
            Assert.Equal("start", start[0]);
            Assert.Equal($"jobs/leader:{start[1]}", start[2]);
            Assert.Equal("jobs/leader", start[3]);
            Assert.Equal($"end {start[1]}", lines[i + 1]);
            tokens.Add(long.Parse(start[1]));
        }

        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(3, tokens.Distinct().Count());

        var failing = await GzTool.RunAsync(endpoints, Timeout, "elect", "jobs/leader", "--", "sh", "-c", "exit 7");
        Assert.Equal(7, failing.ExitCode);

        // Resigned afterwards: no leader key, no holder.
        await using var client = ClientClusters.Client(cluster);
        Assert.Null(await new GlobalZoneElection(client, "jobs/leader").GetLeaderAsync());
        Assert.Null((await client.Locks.GetAsync("jobs/leader")).Holder);
    }

    [Fact]
    public async Task Elect_kills_the_command_and_exits_6_when_its_lease_is_revoked_and_observe_prints_both_changes()
    {
        await using var cluster = await TestCluster.StartAsync("gz-elect-lost", "2+1+0", output);
        var endpoints = cluster.Members.Select(m => m.Url).ToArray();
        var held = Path.Combine(cluster.Cluster.Settings.RootDirectory, "held");
        using var observer = StartGz(endpoints, "elect", "jobs/lost", "--observe", "--json");
        try
        {
            Assert.Equal("null", await ReadLineAsync(observer));
            var run = GzTool.RunAsync(endpoints, TimeSpan.FromSeconds(90), "elect", "jobs/lost", "--ttl", "10", "--value", "worker-1", "--", "sh", "-c", $"touch '{held}'; exec sleep 600");
            var deadline = DateTime.UtcNow + Timeout;
            while (!File.Exists(held))
            {
                Assert.True(DateTime.UtcNow < deadline && !run.IsCompleted, "the command did not start once elected: " + (run.IsCompleted ? (await run).ToString() : "timeout"));
                await Task.Delay(50);
            }

            using var leader = JsonDocument.Parse(await ReadLineAsync(observer));
            Assert.Equal("worker-1", leader.RootElement.GetProperty("candidate").GetString());
            var lease = leader.RootElement.GetProperty("lease").GetInt64();

            var revoked = Stopwatch.StartNew();
            // Revoked through the library (its retry budget rides out a slow member), as an operator or another process would.
            await using (var admin = ClientClusters.Client(cluster))
                Assert.True(await admin.RevokeLeaseAsync(lease), $"lease {lease} was already gone");
            var result = await run;
            output.WriteLine($"gz exited {revoked.ElapsedMilliseconds} ms after the revoke\n{result}");
            Assert.True(result.ExitCode == 6, result.ToString());
            Assert.Contains("lost", result.Stderr);
            // Sooner than the 10 s TTL: the leader key's deletion is watched.
            Assert.True(revoked.Elapsed < TimeSpan.FromSeconds(8), $"gz took {revoked.ElapsedMilliseconds} ms to notice");
            Assert.Equal("null", await ReadLineAsync(observer));
        }
        finally
        {
            observer.Kill(entireProcessTree: true);
        }
    }

    private static Process StartGz(IEnumerable<string> endpoints, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gz.dll"));
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        var urls = endpoints.ToList();
        info.Environment["GZ_ENDPOINTS"] = string.Join(",", urls);
        foreach (var (name, value) in SuiteSecurity.ToolEnvironment(urls[0]))
            info.Environment[name] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start gz");
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<string> ReadLineAsync(Process process)
        => await process.StandardOutput.ReadLineAsync().WaitAsync(Timeout) ?? throw new InvalidOperationException("gz ended: exit " + process.ExitCode);
}
