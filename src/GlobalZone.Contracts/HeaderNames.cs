namespace GlobalZone.Contracts;

/// <summary>HTTP headers GlobalZone reads or writes.</summary>
public static class HeaderNames
{
    /// <summary>The cluster revision the answering member had applied when it answered.</summary>
    public const string Revision = "X-GZ-Revision";

    /// <summary>The Raft index the answering member had applied.</summary>
    public const string AppliedIndex = "X-GZ-Applied-Index";

    /// <summary>The id of the member that answered.</summary>
    public const string Member = "X-GZ-Member";

    /// <summary>The current leader's client URL, when known.</summary>
    public const string Leader = "X-GZ-Leader";

    /// <summary>Milliseconds since this member last heard from the leader (stale reads on followers).</summary>
    public const string LeaderContactAge = "X-GZ-Leader-Contact-Age-Ms";

    /// <summary>
    /// How old the member's data may be, in milliseconds: the time since the latest leader contact whose commit index
    /// the member had applied (what <c>maxStaleness</c> bounds). Absent when unknown.
    /// </summary>
    public const string DataAge = "X-GZ-Data-Age-Ms";

    /// <summary>A client-chosen key that makes a write apply at most once.</summary>
    public const string IdempotencyKey = "Idempotency-Key";

    /// <summary>On the answer to a retried write: "true" when this is the remembered first outcome.</summary>
    public const string IdempotentReplayed = "Idempotent-Replayed";

    /// <summary>Oldest revision a watch or wait can still start from (on 410 answers).</summary>
    public const string OldestRevision = "X-GZ-Oldest-Revision";

    /// <summary>Fenced write: <c>{lock}:{token}</c>.</summary>
    public const string FencingToken = "If-Fencing-Token";
}
