using GlobalZone.Consensus;
using GlobalZone.Contracts;

namespace GlobalZone.Server.Capacity;

/// <summary>
/// What one member holds open for clients: watch streams and reads blocked waiting for a revision. Each is a
/// connection and a task parked on the revision feed; past the cap the member answers 503 + Retry-After (another
/// member, or this one later, can serve) instead of holding more.
/// </summary>
internal sealed class MemberCapacity(NodeOptions options)
{
    private readonly ResourceLimits limits = options.Limits;

    public ConcurrencySlots Watches { get; } = new(options.Limits.MaxWatchesPerMember);

    public ConcurrencySlots BlockingReads { get; } = new(options.Limits.MaxBlockingReadsPerMember);

    /// <summary>A place for one watch stream, held until the stream ends.</summary>
    /// <exception cref="CapacityExceededException">The member serves as many watches as it may.</exception>
    public IDisposable TakeWatch()
        => Watches.TryTake() ?? throw Full(ProblemTypes.TooManyWatches, "This member serves as many watches as it may.",
            $"This member already serves {Watches.Limit} watch streams (GlobalZone:Limits:MaxWatchesPerMember); watch through another member or retry later.");

    /// <summary>A place for one read blocked on a revision, held until it is answered.</summary>
    /// <exception cref="CapacityExceededException">The member holds as many blocked reads as it may.</exception>
    public IDisposable TakeBlockingRead()
        => BlockingReads.TryTake() ?? throw Full(ProblemTypes.TooManyBlockingReads, "This member holds as many blocking reads as it may.",
            $"This member already holds {BlockingReads.Limit} reads waiting for a revision (GlobalZone:Limits:MaxBlockingReadsPerMember); "
            + "read through another member, use a watch, or retry later.");

    private CapacityExceededException Full(string type, string title, string detail)
        => new(StatusCodes.Status503ServiceUnavailable, type, title, detail, limits.RetryAfterSeconds);
}
