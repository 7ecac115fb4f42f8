using GlobalZone.Jepsen.Scenarios;

namespace GlobalZone.Jepsen.Tests.EndToEnd;

/// <summary>Runs the harness in-process against a real cluster, its log in the test output, results under jepsen-style/results/tests/.</summary>
internal static class HarnessRun
{
    public static async Task<RunOutcome> ExecuteAsync(RunOptions options, ITestOutputHelper output)
    {
        using var log = new RunLog(output.WriteLine);
        using var abort = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        return await TestRun.ExecuteAsync(options with { OutputRoot = ResultsRoot(), Seed = 42, Secure = options.Secure || SuiteIsSecured }, log, abort.Token);
    }

    /// <summary>
    /// The suite's security mode (<c>GZ_TEST_SECURITY=tls+auth</c>, as tests/GlobalZone.Testing's SuiteSecurity reads
    /// it): every harness run then has TLS, mutual TLS between members and auth on.
    /// </summary>
    internal static bool SuiteIsSecured { get; } = Environment.GetEnvironmentVariable("GZ_TEST_SECURITY") is { } value
                                                  && (value.Equals("tls+auth", StringComparison.OrdinalIgnoreCase) || value == "1");

    private static string ResultsRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "GlobalZone.sln")))
            directory = directory.Parent;
        return directory is null
            ? Path.Combine(Path.GetTempPath(), "gz-jepsen-tests")
            : Path.Combine(directory.FullName, "jepsen-style", "results", "tests");
    }
}
