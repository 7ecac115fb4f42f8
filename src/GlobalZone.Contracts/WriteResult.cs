namespace GlobalZone.Contracts;

/// <summary>The answer to a put or delete.</summary>
public sealed record WriteResult
{
    /// <summary>The cluster revision the write committed at (the current revision when nothing changed).</summary>
    public required long Revision { get; init; }

    /// <summary>For deletes: how many keys were removed.</summary>
    public long? Deleted { get; init; }
}
