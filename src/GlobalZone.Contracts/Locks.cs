namespace GlobalZone.Contracts;

/// <summary>
/// <c>POST /v1/locks/{name}</c>: acquire for a lease; with <see cref="Wait"/> seconds, queue (first-in first-out)
/// and wait up to that long.
/// </summary>
public sealed record LockAcquireRequest
{
    public required long Lease { get; init; }

    /// <summary>Seconds to wait in the queue (0 or absent: do not wait), at most 300.</summary>
    public double? Wait { get; init; }

    /// <summary>A label for the holder (host, process), shown when inspecting; up to 256 characters.</summary>
    public string? Owner { get; init; }
}

/// <summary>A grant: the fencing token strictly increases with every grant of the lock.</summary>
public sealed record LockGrant
{
    public required string Name { get; init; }

    public required long Lease { get; init; }

    public required long FencingToken { get; init; }

    public string? Owner { get; init; }

    /// <summary>The value to send as <c>If-Fencing-Token</c> on writes this grant protects: <c>{name}:{token}</c>.</summary>
    public required string Fence { get; init; }
}

/// <summary>A lock as inspected: holder (absent when free) and waiters in queue order (the first 100 of them).</summary>
public sealed record LockInfo
{
    public required string Name { get; init; }

    public LockGrant? Holder { get; init; }

    /// <summary>The first waiters in queue order; <see cref="WaiterCount"/> says how many wait in all.</summary>
    public required IReadOnlyList<LockWaiterInfo> Waiters { get; init; }

    /// <summary>How many leases wait for the lock (may exceed the waiters listed).</summary>
    public int WaiterCount { get; init; }
}

/// <summary>One waiting lease.</summary>
public sealed record LockWaiterInfo
{
    public required long Lease { get; init; }

    public string? Owner { get; init; }
}

/// <summary><c>GET /v1/locks</c>.</summary>
public sealed record LockList
{
    public required IReadOnlyList<LockInfo> Locks { get; init; }
}
