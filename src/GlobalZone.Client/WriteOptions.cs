namespace GlobalZone.Client;

/// <summary>
/// Per-call settings of a write: its conditions, the lease its key is attached to, the lock grant that fences it,
/// and its idempotency key.
/// </summary>
public sealed record WriteOptions
{
    /// <summary>Compare-and-set: apply only while the key's modRevision (its ETag) is this (<c>If-Match</c>).</summary>
    public long? IfModRevision { get; init; }

    /// <summary>Apply only when the key does not exist (<c>If-None-Match: *</c>).</summary>
    public bool IfAbsent { get; init; }

    /// <summary>Apply only when the key exists (<c>If-Match: *</c>).</summary>
    public bool IfExists { get; init; }

    /// <summary>For puts: attach the key to this lease (deleted when the lease ends).</summary>
    public long? Lease { get; init; }

    /// <summary>
    /// Fenced write: apply only while this lock grant is the lock's current one (<c>If-Fencing-Token</c>). Refused with
    /// <see cref="FencingTokenRejectedException"/> otherwise.
    /// </summary>
    public GlobalZoneLockHandle? FencedBy { get; init; }

    /// <summary>Fenced write with a token given as text, <c>{lock}:{token}</c> (a grant's <see cref="GlobalZoneLockHandle.Fence"/>).</summary>
    public string? Fence { get; init; }

    /// <summary>
    /// The write's <c>Idempotency-Key</c>; null: the client makes one per call. Give your own to make a write
    /// idempotent across calls (for example across a restart of your process); at most 128 printable characters.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    internal string? FenceHeader => FencedBy?.Fence ?? Fence;
}
