namespace GlobalZone.Cli.Bench;

/// <summary>What the benchmark does to the cluster.</summary>
internal enum BenchMode
{
    /// <summary>PUTs only.</summary>
    Write,

    /// <summary>Linearizable GETs (read index) of preloaded keys.</summary>
    Read,

    /// <summary>Stale GETs (local state, no read index) of preloaded keys.</summary>
    StaleRead,

    /// <summary>Linearizable GETs and PUTs, mixed by <see cref="BenchSettings.ReadRatio"/>.</summary>
    Mixed,
}

/// <summary>Which keys writes go to.</summary>
internal enum WritePattern
{
    /// <summary>A new key for every write (the store grows).</summary>
    Unique,

    /// <summary>Random keys from a small set (<see cref="BenchSettings.HotKeys"/>): overwrites of the same few keys.</summary>
    Hot,
}

/// <summary>One benchmark run, as the command line described it.</summary>
internal sealed record BenchSettings
{
    public required string Target { get; init; }

    public required BenchMode Mode { get; init; }

    public required IReadOnlyList<Uri> Endpoints { get; init; }

    public int Clients { get; init; } = 32;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    public int ValueSize { get; init; } = 64;

    /// <summary>Keys preloaded for reads and chosen from at random.</summary>
    public int Keys { get; init; } = 1000;

    public WritePattern WritePattern { get; init; } = WritePattern.Unique;

    public int HotKeys { get; init; } = 10;

    /// <summary>Fraction of reads in <see cref="BenchMode.Mixed"/>.</summary>
    public double ReadRatio { get; init; } = 0.5;

    /// <summary>Key prefix all benchmark keys live under.</summary>
    public string Prefix { get; init; } = "bench";

    public bool Progress { get; init; } = true;

    /// <summary>User and password to sign in with (<c>--user</c>); null when the cluster needs no token.</summary>
    public (string User, string Password)? Credentials { get; init; }
}
