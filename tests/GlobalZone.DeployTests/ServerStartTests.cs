using System.Diagnostics;
using System.Text.Json.Nodes;
using GlobalZone.ClusterRunner;

namespace GlobalZone.DeployTests;

/// <summary>
/// The real server started the way the systemd unit starts it: <c>--config</c> with the shared member list and the
/// member's environment file as environment variables (only the member's URL is moved to a free loopback port and
/// its data folder to a temporary one). Proves the setting names in deploy/ are the ones the server binds, and that
/// the health check the image uses passes against it.
/// </summary>
public sealed class ServerStartTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("gz-deploy-").FullName;
    private Process? server;

    [Fact]
    public async Task The_server_starts_from_the_systemd_files_and_answers_health_metrics_and_gz_health()
    {
        var port = ClusterLayout.FreePort();
        var config = DeployFiles.Json("config/cluster.json");
        var self = config["GlobalZone"]!["Members"]!.AsArray().Single(m => m!["Id"].AsString() == "dc1-a")!;
        self["Url"] = $"http://127.0.0.1:{port}";
        var configPath = Path.Combine(root, "cluster.json");
        await File.WriteAllTextAsync(configPath, config.ToJsonString());

        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(ServerLocator.Find());
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(configPath);
        foreach (var (key, value) in DeployFiles.EnvironmentFile("systemd/env/dc1-a.env"))
            info.Environment[key] = value;
        var dataDirectory = Path.Combine(root, "data");
        info.Environment["GlobalZone__DataDirectory"] = dataDirectory;
        server = Process.Start(info)!;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        server.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        server.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        HttpResponseMessage? health = null;
        while (health is null)
        {
            Assert.False(server.HasExited, "the server exited:\n" + string.Join('\n', log));
            try
            {
                health = await http.GetAsync("/healthz");
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
        // Its peers do not exist here: alive, but not ready (no leader).
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/readyz")).StatusCode);
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("globalzone_raft_term{", metrics);
        Assert.Contains("globalzone_kv_log_size_bytes{", metrics);
        // The Raft log's gauge measures the folder the log is in (it once read a folder no release writes any more).
        var raftLogBytes = metrics.Split('\n').Where(l => l.StartsWith("globalzone_wal_size_bytes{", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)).Single();
        Assert.True(raftLogBytes > 0, "globalzone_wal_size_bytes is 0:\n" + metrics);
        Assert.Contains("member=\"dc1-a\"", metrics);

        // The member id came from the environment file; the cluster name from the shared list.
        var status = JsonNode.Parse(await http.GetStringAsync("/v1/cluster"))!;
        Assert.Equal("dc1-a", status["memberId"].AsString());
        Assert.Equal("globalzone-prod", status["clusterName"].AsString());
        Assert.Contains("\"clusterName\": \"globalzone-prod\"", await File.ReadAllTextAsync(Path.Combine(dataDirectory, "cluster-identity.json")));

        var gz = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true };
        gz.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gz.dll"));
        foreach (var arg in new[] { "health", "--url", $"http://127.0.0.1:{port}" })
            gz.ArgumentList.Add(arg);
        using var check = Process.Start(gz)!;
        var output = await check.StandardOutput.ReadToEndAsync();
        await check.WaitForExitAsync();
        Assert.True(check.ExitCode == 0, output);
        Assert.StartsWith("200", output);
    }

    public void Dispose()
    {
        if (server is { HasExited: false })
        {
            server.Kill(entireProcessTree: true);
            server.WaitForExit();
        }

        server?.Dispose();
        Directory.Delete(root, recursive: true);
    }
}
