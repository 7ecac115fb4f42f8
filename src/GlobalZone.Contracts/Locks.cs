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

    /// <summary>How the grant holds the lock: <c>read</c> or <c>write</c> (reader-writer lock), <c>permit</c> (semaphore); absent for an exclusive lock.</summary>
    public string? Mode { get; init; }

    /// <summary>The value to send as <c>If-Fencing-Token</c> on writes this grant protects: <c>{name}:{token}</c>.</summary>
    public required string Fence { get; init; }
}

/// <summary>A lock as inspected: holder (absent when free) and waiters in queue order (the first 100 of them).</summary>
public sealed record LockInfo
{
    public required string Name { get; init; }

    /// <summary><c>rwlock</c> or <c>semaphore</c>; absent for an exclusive lock (or a free name).</summary>
    public string? Kind { get; init; }

    /// <summary>For a semaphore: how many leases may hold it at once.</summary>
    public int? Limit { get; init; }

    /// <summary>An exclusive lock's holder (absent when free, and for the other kinds: see <see cref="Holders"/>).</summary>
    public LockGrant? Holder { get; init; }

    /// <summary>A reader-writer lock's or a semaphore's grants, in grant order; absent for an exclusive lock.</summary>
    public IReadOnlyList<LockGrant>? Holders { get; init; }

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

    /// <summary>What the lease waits for: <c>read</c>, <c>write</c> or <c>permit</c>; absent for an exclusive lock.</summary>
    public string? Mode { get; init; }
}

/// <summary>The wire names of lock kinds and modes.</summary>
public static class LockWireNames
{
    public const string ReaderWriterKind = "rwlock";
    public const string SemaphoreKind = "semaphore";
    public const string Read = "read";
    public const string Write = "write";
    public const string Permit = "permit";
}

/// <summary><c>GET /v1/locks</c>.</summary>
public sealed record LockList
{
    public required IReadOnlyList<LockInfo> Locks { get; init; }
}
