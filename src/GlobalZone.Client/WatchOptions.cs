namespace GlobalZone.Client;

/// <summary>Where a watch starts.</summary>
public sealed record WatchOptions
{
    /// <summary>
    /// The first revision to deliver (for example a read's revision + 1, so nothing between the read and the watch is
    /// missed). Null: changes from now on. A revision no longer in the history fails with <see cref="WatchCompactedException"/>.
    /// </summary>
    public long? FromRevision { get; init; }
}
