using System.Diagnostics;

namespace GlobalZone.IntegrationTests.Operations;

/// <summary>Runs the real <c>gz</c> (copied beside the tests) as a process, the way an operator or a script does.</summary>
internal static class GzTool
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    public static Task<Result> RunAsync(IEnumerable<string> endpoints, TimeSpan timeout, params string[] args)
        => RunAsync(endpoints, new Dictionary<string, string>(), timeout, args);

    /// <param name="environment">More environment variables for gz (GZ_USER, GZ_PASSWORD...).</param>
    public static async Task<Result> RunAsync(IEnumerable<string> endpoints, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        var gz = Path.Combine(AppContext.BaseDirectory, "gz.dll");
        Assert.True(File.Exists(gz), $"gz.dll is not beside the tests ({AppContext.BaseDirectory})");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(gz);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        var urls = endpoints.ToList();
        info.Environment["GZ_ENDPOINTS"] = string.Join(",", urls);
        // The suite's security mode: gz trusts the cluster's CA and signs in as root (a test may override either).
        if (urls.Count > 0)
        {
            foreach (var (name, value) in SuiteSecurity.ToolEnvironment(urls[0]))
                info.Environment[name] = value;
        }

        foreach (var (name, value) in environment)
            info.Environment[name] = value;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start gz");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"gz {string.Join(' ', args)} did not finish within {timeout}");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
