namespace GlobalZone.Jepsen.Checker;

/// <summary>The verdict for the sub-history of one key.</summary>
/// <param name="Key">The key.</param>
/// <param name="Verdict">Whether that key's operations are linearizable.</param>
/// <param name="OperationCount">Operations the search had to place (calls that carry no information are dropped first).</param>
/// <param name="VisitedConfigurations">Distinct (linearized set, state) pairs the search memoised: a measure of its work.</param>
/// <param name="Elapsed">Time spent on this key.</param>
/// <param name="Counterexample">Where the search got stuck, for <see cref="Verdict.NotLinearizable"/> only.</param>
public sealed record KeyVerdict(
    string Key,
    Verdict Verdict,
    int OperationCount,
    long VisitedConfigurations,
    TimeSpan Elapsed,
    Counterexample? Counterexample);
