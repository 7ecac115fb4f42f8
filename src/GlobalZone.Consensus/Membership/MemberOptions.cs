namespace GlobalZone.Consensus;

/// <summary>The two kinds of member.</summary>
public static class MemberRoles
{
    /// <summary>A full replica that may lead and serves clients.</summary>
    public const string Voter = "voter";

    /// <summary>A replica that votes and counts toward quorums, leads only to hand over, and serves no clients.</summary>
    public const string Witness = "witness";
}

/// <summary>One member of the static group, as every member's configuration lists it.</summary>
public sealed record MemberOptions
{
    /// <summary>Stable member name, e.g. <c>dc1-a</c>.</summary>
    public string Id { get; init; } = "";

    /// <summary>The member's HTTP base URL (Raft traffic and the client API share it).</summary>
    public string Url { get; init; } = "";

    /// <summary>Site (data center) name, e.g. <c>dc1</c>.</summary>
    public string Site { get; init; } = "";

    /// <summary><see cref="MemberRoles.Voter"/> or <see cref="MemberRoles.Witness"/>.</summary>
    public string Role { get; init; } = MemberRoles.Voter;

    public bool IsWitness => string.Equals(Role, MemberRoles.Witness, StringComparison.OrdinalIgnoreCase);
}
