namespace GlobalZone.Contracts;

/// <summary>Why a member handed leadership over on purpose (not a crash).</summary>
public static class LeadershipHandoffKinds
{
    /// <summary>The witness led briefly to bring a voter up to date, then stepped down for it.</summary>
    public const string WitnessCatchUp = "witness-catch-up";

    /// <summary>A leader outside the preferred site handed over to a caught-up voter in the preferred site.</summary>
    public const string PreferredSite = "preferred-site";

    /// <summary>The operator moved leadership (<c>gz leader transfer</c>).</summary>
    public const string Operator = "operator";

    /// <summary>A leader that was asked to stop (SIGTERM, <c>systemctl stop</c>) handed over before it stopped.</summary>
    public const string Shutdown = "shutdown";
}

/// <summary>One deliberate leadership hand-off, as the member that handed over recorded it.</summary>
public sealed record LeadershipHandoff
{
    /// <summary>One of <see cref="LeadershipHandoffKinds"/>.</summary>
    public required string Kind { get; init; }

    /// <summary>The member that led and stepped down.</summary>
    public required string FromMemberId { get; init; }

    /// <summary>The voter meant to take over, when there was one in particular.</summary>
    public string? TargetMemberId { get; init; }

    /// <summary>The member that actually led next (null until the member that handed over saw it).</summary>
    public string? ToMemberId { get; init; }

    /// <summary>The term in which <see cref="FromMemberId"/> led (for the witness, the term before it led until it has stepped down).</summary>
    public required long Term { get; init; }

    /// <summary>When the hand-off began (for the witness: when it decided to lead).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When <see cref="FromMemberId"/> stepped down.</summary>
    public DateTimeOffset? ResignedAt { get; init; }

    /// <summary>When the next leader was seen.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>What happened, in a few words (e.g. which voters were caught up, or why it was abandoned).</summary>
    public string? Detail { get; init; }
}
