namespace GlobalZone.Server.Capacity;

/// <summary>
/// A cap was reached: nothing was done, and the client is told when to come back. Thrown from wherever the cap is
/// checked and answered once, in <see cref="Api.ApiErrorHandling"/>, as problem+json with <c>Retry-After</c>.
/// </summary>
internal sealed class CapacityExceededException(int status, string problemType, string title, string detail, int retryAfterSeconds)
    : Exception(detail)
{
    /// <summary>503 for this member's own capacity (another member may serve), 429 for a cluster-wide quota.</summary>
    public int Status { get; } = status;

    public string ProblemType { get; } = problemType;

    public string Title { get; } = title;

    public int RetryAfterSeconds { get; } = retryAfterSeconds;
}
