namespace GlobalZone.ClusterRunner;

/// <summary>Settings every member of a local cluster gets, beyond the member list.</summary>
public sealed record ClusterSettings
{
    /// <summary>Parent folder of each member's data and log.</summary>
    public required string RootDirectory { get; init; }

    public string ClusterName { get; init; } = "globalzone-local";

    public string? PreferredLeaderSite { get; init; } = "dc1";

    /// <summary>Election timeouts; null keeps the server's WAN-friendly defaults.</summary>
    public int? LowerElectionTimeoutMs { get; init; }

    public int? UpperElectionTimeoutMs { get; init; }

    /// <summary>Checkpoint every N entries (small in tests to exercise snapshots).</summary>
    public int? SnapshotEveryEntries { get; init; }

    /// <summary>Extra <c>GlobalZone</c> settings, by key (e.g. <c>MaxValueBytes</c>).</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// https with mutual TLS between members: a CA and a certificate per member are made under
    /// <c>RootDirectory/tls</c> (kept when they exist, so a restarted local cluster keeps its CA), member URLs become
    /// https://, and the runner's own client trusts the CA.
    /// </summary>
    public bool Tls { get; init; }

    /// <summary>Server log format: null (readable) or "json".</summary>
    public string? LogFormat { get; init; }
}
