using System.Diagnostics;
using GlobalZone.ClusterRunner;
using GlobalZone.IntegrationTests.Operations;

namespace GlobalZone.IntegrationTests.Security;

/// <summary>
/// <c>gz local --tls --auth</c>, as a newcomer runs it: one command gives a TLS cluster with authentication on,
/// user root's password in a 0600 file, the printed <c>gz</c> line works with <c>GZ_USER</c>/<c>GZ_PASSWORD</c>,
/// nothing is served without credentials, <c>gz bench</c> signs in too, and running the command again on the same
/// folder resumes the same secure cluster.
/// </summary>
public sealed class SecureLocalClusterTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string root = Path.Combine(Path.GetTempPath(), "gz-secure-local-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task Gz_local_with_tls_and_auth_serves_only_signed_in_users_and_resumes_the_same_way()
    {
        var basePort = ClusterLayout.FreePort();
        var endpoints = Enumerable.Range(0, 2).Select(i => $"https://127.0.0.1:{basePort + i}").ToList();
        var ca = Path.Combine(root, "tls", "ca.crt");
        var passwordFile = LocalAuth.PasswordFile(root);

        string password;
        await using (var local = await LocalProcess.StartAsync(root, basePort, output))
        {
            Assert.Contains("Authentication is on", local.Output, StringComparison.Ordinal);
            Assert.True(File.Exists(passwordFile), local.Output);
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passwordFile));
            password = (await File.ReadAllTextAsync(passwordFile)).Trim();

            var anonymous = await GzTool.RunAsync(endpoints, Timeout, "--cacert", ca, "kv", "get", "secure/k");
            Assert.True(anonymous.ExitCode != 0 && (anonymous.Stderr.Contains("401", StringComparison.Ordinal) || anonymous.Stderr.Contains("uthenticat", StringComparison.Ordinal)), anonymous.ToString());

            var signedIn = new Dictionary<string, string> { ["GZ_USER"] = LocalAuth.RootUser, ["GZ_PASSWORD"] = password };
            var put = await GzTool.RunAsync(endpoints, signedIn, Timeout, "--cacert", ca, "kv", "put", "secure/k", "hello");
            Assert.True(put.ExitCode == 0, put.ToString());
            var bench = await GzTool.RunAsync(endpoints, signedIn, Timeout, "--cacert", ca, "bench", "--member", endpoints[0], "--no-progress",
                "--mode", "write", "--clients", "2", "--duration", "2", "--warmup", "0");
            Assert.True(bench.ExitCode == 0 && bench.Stdout.Contains(", 0 errors", StringComparison.Ordinal), bench.ToString());
        }

        await using (var again = await LocalProcess.StartAsync(root, basePort, output))
        {
            Assert.Contains("Authentication is on", again.Output, StringComparison.Ordinal);
            Assert.Equal(password, (await File.ReadAllTextAsync(passwordFile)).Trim());
            var get = await GzTool.RunAsync(endpoints, new Dictionary<string, string> { ["GZ_USER"] = $"{LocalAuth.RootUser}:{password}" }, Timeout,
                "--cacert", ca, "kv", "get", "secure/k");
            Assert.True(get.ExitCode == 0 && get.Stdout.Contains("hello", StringComparison.Ordinal), get.ToString());
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary><c>gz local --tls --auth</c> running until disposed (SIGTERM, then the whole tree killed if it lingers).</summary>
    private sealed class LocalProcess : IAsyncDisposable
    {
        private readonly Process process;
        private readonly System.Text.StringBuilder lines = new();

        private LocalProcess(Process process) => this.process = process;

        public string Output
        {
            get
            {
                lock (lines)
                    return lines.ToString();
            }
        }

        public static async Task<LocalProcess> StartAsync(string root, int basePort, ITestOutputHelper output)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "gz.dll"), "local", "--tls", "--auth", "--layout", "1+1+1", "--data", root, "--base-port", basePort.ToString(System.Globalization.CultureInfo.InvariantCulture) })
                info.ArgumentList.Add(arg);
            var local = new LocalProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start gz local"));
            local.process.OutputDataReceived += (_, e) => local.Add(e.Data);
            local.process.ErrorDataReceived += (_, e) => local.Add(e.Data);
            local.process.BeginOutputReadLine();
            local.process.BeginErrorReadLine();
            try
            {
                await Eventually.TrueAsync(() => Task.FromResult(local.Output.Contains("Press Ctrl-C", StringComparison.Ordinal) || local.process.HasExited),
                    TimeSpan.FromSeconds(90), "gz local to report its cluster up");
                output.WriteLine(local.Output);
                Assert.False(local.process.HasExited, local.Output);
                return local;
            }
            catch
            {
                await local.DisposeAsync();
                throw;
            }
        }

        private void Add(string? line)
        {
            if (line is null)
                return;
            lock (lines)
                lines.AppendLine(line);
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                // SIGTERM, as Ctrl-C or systemd would stop it: gz local stops its members cleanly.
                using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                    await kill.WaitForExitAsync();
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    await process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                }
            }

            process.Dispose();
        }
    }
}
