namespace GlobalZone.Contracts;

/// <summary>
/// One revision of a watch (SSE <c>event: revision</c>, <c>id</c> = revision): every matching change of that
/// revision, together — a transaction's changes are never split.
/// </summary>
public sealed record WatchRevision
{
    public required long Revision { get; init; }

    public required IReadOnlyList<WatchEvent> Events { get; init; }
}

/// <summary>A change of one key: <c>put</c> (the key after it) or <c>delete</c> (the key's last state, version 0).</summary>
public sealed record WatchEvent
{
    public required string Type { get; init; }

    public required KeyValue Kv { get; init; }
}

/// <summary>
/// SSE <c>event: progress</c>: nothing matching happened up to <see cref="Revision"/>; resume after it. Sent when the
/// watch starts and while it is idle.
/// </summary>
public sealed record WatchProgress
{
    public required long Revision { get; init; }
}
