namespace GlobalZone.Client;

/// <summary>Per-call settings of a read.</summary>
public sealed record ReadOptions
{
    /// <summary>Linearizable or stale; null: <see cref="GlobalZoneClientOptions.DefaultConsistency"/>.</summary>
    public ReadConsistency? Consistency { get; init; }

    /// <summary>
    /// For stale reads: refuse an answer from a member that has not heard from the leader for longer than this (the
    /// client then asks another member). Null: any staleness.
    /// </summary>
    public TimeSpan? MaxStaleness { get; init; }

    /// <summary>A linearizable read.</summary>
    public static ReadOptions Linearizable { get; } = new() { Consistency = ReadConsistency.Linearizable };

    /// <summary>A stale read, optionally bounded.</summary>
    public static ReadOptions Stale(TimeSpan? maxStaleness = null) => new() { Consistency = ReadConsistency.Stale, MaxStaleness = maxStaleness };
}
