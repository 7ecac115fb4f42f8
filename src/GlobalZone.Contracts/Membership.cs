namespace GlobalZone.Contracts;

/// <summary>
/// <c>POST /v1/members</c> (on the leader): add the member serving at <see cref="Url"/>, started with
/// <c>GlobalZone:Join=true</c>. <see cref="Id"/>, <see cref="Site"/> and <see cref="Role"/> are checks: when given,
/// the new member must report the same.
/// </summary>
public sealed record MemberAddRequest
{
    public required string Url { get; init; }

    public string? Id { get; init; }

    public string? Site { get; init; }

    public string? Role { get; init; }
}

/// <summary>The outcome of a membership change, and the membership after it.</summary>
public sealed record MembershipChange
{
    /// <summary><c>added</c> or <c>removed</c>.</summary>
    public required string Change { get; init; }

    public required MemberStatus Member { get; init; }

    public required IReadOnlyList<MemberStatus> Members { get; init; }
}
