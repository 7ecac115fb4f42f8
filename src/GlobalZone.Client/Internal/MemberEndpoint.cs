namespace GlobalZone.Client.Internal;

/// <summary>One member as the client knows it: its URL, and what discovery and failures taught about it.</summary>
internal sealed class MemberEndpoint(Uri url)
{
    public Uri Url { get; } = url;

    /// <summary>The member's id once discovered.</summary>
    public string? Id { get; set; }

    /// <summary>The member's site once discovered.</summary>
    public string? Site { get; set; }

    /// <summary>Known from discovery (the cluster lists it), as opposed to a seed URL only.</summary>
    public bool IsDiscovered { get; set; }

    public bool IsWitness { get; set; }

    /// <summary>Until when the member is skipped (after a connection failure or a timeout), unless nothing else is left.</summary>
    public DateTimeOffset UnhealthyUntil { get; set; }

    /// <summary>Failures in a row: the quarantine doubles with each (capped).</summary>
    public int ConsecutiveFailures { get; set; }

    public override string ToString() => Id is null ? Url.ToString() : $"{Id} ({Url})";
}
