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
}
