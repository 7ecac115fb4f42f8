namespace GlobalZone.Jepsen.Traffic;

/// <summary>What shapes a workload's operations.</summary>
internal sealed record WorkloadSettings
{
    /// <summary>Plain reads ask for <c>?consistency=stale</c> (compare-and-set reads are always linearizable).</summary>
    public bool StaleReads { get; init; }

    /// <summary>Register keys in use at once.</summary>
    public int Keys { get; init; } = 5;

    /// <summary>Operations a register key takes before a fresh key replaces it (keeps each key's history checkable).</summary>
    public int OperationsPerKey { get; init; } = 200;

    /// <summary>Register values are drawn from 0 to this, exclusive.</summary>
    public int ValueRange { get; init; } = 5;

    /// <summary>Lock workload: protected writes carry the grant's fencing token (<c>If-Fencing-Token</c>).</summary>
    public bool Fenced { get; init; } = true;

    /// <summary>Lock workload: TTL of each client's lease (kept alive while the client is not paused).</summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Lock workload: every Nth critical section (over all clients) the holder stalls, keep-alives included, for
    /// <see cref="ClientPause"/> between reading the counter and writing it — a GC pause past its lease. 0 = never.
    /// </summary>
    public int ClientPauseEvery { get; init; }

    /// <summary>Lock workload: how long a stalled holder stalls.</summary>
    public TimeSpan ClientPause { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>Lock workload: how long an acquire waits in the lock's queue before giving up.</summary>
    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(2);
}
