namespace GlobalZone.Cli.Bench;

/// <summary>The system under test: how a write and a read are sent, and how keys are preloaded.</summary>
internal interface IBenchTarget : IDisposable
{
    /// <summary>Where requests go, e.g. "round-robin over 4 voters".</summary>
    string Description { get; }

    /// <summary>Writes the keys reads will ask for.</summary>
    Task PreloadAsync(int keys, int concurrency, CancellationToken token);

    /// <summary>One write from client <paramref name="client"/>; null on success, else what went wrong.</summary>
    Task<string?> WriteAsync(int client, string key, CancellationToken token);

    /// <summary>Who leads in which term (null when unknown): compared before and after measuring.</summary>
    Task<string?> DescribeLeadershipAsync(CancellationToken token);

    /// <summary>One read of a preloaded key; null on success.</summary>
    Task<string?> ReadAsync(int client, int keyIndex, bool stale, CancellationToken token);
}
