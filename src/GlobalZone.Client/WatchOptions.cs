namespace GlobalZone.Client;

/// <summary>Where a watch starts.</summary>
public sealed record WatchOptions
{
    /// <summary>
    /// The first revision to deliver (for example a read's revision + 1, so nothing between the read and the watch is
    /// missed). Null: changes from now on. A revision no longer in the history fails with <see cref="WatchCompactedException"/>.
    /// </summary>
    public long? FromRevision { get; init; }

    /// <summary>
    /// Give up once this many connects in a row have each used up the retry budget
    /// (<see cref="GlobalZoneClientOptions.RetryBudget"/>) without reaching a member: the watch then fails with
    /// <see cref="GlobalZoneUnavailableException"/>. Null (the default): keep trying until cancelled, as a service that
    /// must outlive an outage wants; a command-line tool sets a bound so that it can report the outage and exit.
    /// </summary>
    public int? MaxUnavailableRounds { get; init; }
}
