namespace GlobalZone.Jepsen.Checker;

/// <summary>Limits for one call of <c>LinearizabilityChecker.Check</c>.</summary>
public sealed record CheckOptions
{
    /// <summary>Wall-clock budget for the whole history; keys still undecided when it runs out are <see cref="Verdict.Unknown"/>.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Stops the search early; undecided keys are then <see cref="Verdict.Unknown"/>.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>How many keys are searched at once; defaults to the processor count.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;
}
