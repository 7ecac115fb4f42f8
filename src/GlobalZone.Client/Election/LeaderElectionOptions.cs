namespace GlobalZone.Client;

/// <summary>Settings of a hosted leader (<see cref="GlobalZoneLeaderService"/>).</summary>
public sealed record LeaderElectionOptions
{
    /// <summary>What this process calls itself once elected (null: <see cref="GlobalZoneClient.Owner"/>, host and pid).</summary>
    public string? Candidate { get; init; }

    /// <summary>
    /// Pause before campaigning again after a term ended (lost, resigned because the work ended or failed) or a
    /// campaign failed, so a failing job or an unreachable cluster is not hammered.
    /// </summary>
    public TimeSpan RecampaignDelay { get; init; } = TimeSpan.FromSeconds(1);
}
