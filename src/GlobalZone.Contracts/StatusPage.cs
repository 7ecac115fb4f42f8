namespace GlobalZone.Contracts;

/// <summary>
/// One update of the status page's feed (<c>GET /v1/status/feed</c>, server-sent events, one every half second): the group as
/// the serving member sees it, the locks and leases it holds, and request rates. A member's own view, not a
/// linearizable read: what an operator watching the page needs, cheap enough to send twice a second.
/// </summary>
public sealed record StatusPageUpdate
{
    /// <summary>When the serving member built this update (UTC, ISO 8601).</summary>
    public required string At { get; init; }

    /// <summary>The group, as <c>GET /v1/cluster</c> answers on the serving member.</summary>
    public required ClusterStatus Cluster { get; init; }

    /// <summary>Per member: reachable from the serving member (it answered a progress probe lately), by member id.</summary>
    public required IReadOnlyDictionary<string, bool> Reachable { get; init; }

    /// <summary>The first locks by name (held or with waiters); <see cref="LockCount"/> says how many in all.</summary>
    public required IReadOnlyList<LockInfo> Locks { get; init; }

    public required int LockCount { get; init; }

    /// <summary>The first leases by id; <see cref="LeaseCount"/> says how many in all.</summary>
    public required IReadOnlyList<LeaseInfo> Leases { get; init; }

    public required int LeaseCount { get; init; }

    public required StatusPageRates Rates { get; init; }
}

/// <summary>Rates over the last update interval.</summary>
public sealed record StatusPageRates
{
    /// <summary>Revisions per second: writes that changed the key/value state, group-wide.</summary>
    public required double GroupWritesPerSecond { get; init; }

    /// <summary>Raft entries applied per second on the serving member.</summary>
    public required double AppliedPerSecond { get; init; }

    /// <summary>Key reads (GET /v1/kv) per second answered by the serving member.</summary>
    public required double MemberReadsPerSecond { get; init; }

    /// <summary>Write requests (PUT/DELETE /v1/kv, POST /v1/txn) per second received by the serving member.</summary>
    public required double MemberWritesPerSecond { get; init; }
}
