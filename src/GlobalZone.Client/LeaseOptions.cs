namespace GlobalZone.Client;

/// <summary>How a granted lease is kept alive.</summary>
public sealed record LeaseOptions
{
    /// <summary>Renew the lease in the background until it is disposed or revoked. Default true.</summary>
    public bool KeepAlive { get; init; } = true;

    /// <summary>Time between renewals; null: a third of the TTL.</summary>
    public TimeSpan? KeepAliveInterval { get; init; }

    /// <summary>Ask for this lease id instead of letting the server pick one (refused when it exists).</summary>
    public long? Id { get; init; }
}
