namespace GlobalZone.Contracts;

/// <summary><c>POST /v1/leases</c>: a lease of <see cref="Ttl"/> seconds, with an id the server picks unless given.</summary>
public sealed record LeaseGrantRequest
{
    /// <summary>Seconds (fractions allowed) from 1 to 604800.</summary>
    public required double Ttl { get; init; }

    /// <summary>A positive id of the client's choosing; refused with 409 when it exists.</summary>
    public long? Id { get; init; }
}

/// <summary>A lease as the API returns it.</summary>
public sealed record LeaseInfo
{
    public required long Id { get; init; }

    /// <summary>The granted TTL in seconds.</summary>
    public required double Ttl { get; init; }

    /// <summary>Seconds left on the answering member's countdown (exact on the leader, which decides expiry).</summary>
    public double? Remaining { get; init; }

    /// <summary>Keys attached to the lease (with <c>?keys</c>).</summary>
    public IReadOnlyList<string>? Keys { get; init; }

    /// <summary>For a revoke: the revision at which its keys were deleted.</summary>
    public long? Revision { get; init; }

    /// <summary>For a revoke: how many keys were deleted.</summary>
    public long? Deleted { get; init; }
}

/// <summary><c>GET /v1/leases</c>.</summary>
public sealed record LeaseList
{
    public required IReadOnlyList<LeaseInfo> Leases { get; init; }
}
