using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Traffic;

namespace GlobalZone.Jepsen.Validate;

/// <summary>
/// The register workload's checker: per-key linearizability (Wing–Gong–Lowe with memoisation, indeterminate calls
/// allowed to take effect or not) via <see cref="LinearizabilityChecker"/>, after dropping compare-and-sets that did
/// nothing and observed nothing (see <see cref="RegisterWorkload"/>).
/// </summary>
internal sealed class RegisterValidator : IHistoryValidator
{
    /// <summary>Prefix operations shown before the stuck point in a counterexample.</summary>
    private const int PrefixShown = 12;

    public ValidationResult Validate(IReadOnlyList<Operation> history, TimeSpan budget)
    {
        var aborted = history.Count(IsAbortedCompareAndSet);
        var checkable = history.Where(o => !IsAbortedCompareAndSet(o)).ToList();
        var result = LinearizabilityChecker.Check(checkable, new RegisterModel(), new CheckOptions { Timeout = budget });
        var figures = new Dictionary<string, long>
        {
            ["keys"] = result.Keys.Count,
            ["operations-checked"] = result.Keys.Sum(k => (long)k.OperationCount),
            ["aborted-cas-left-out"] = aborted,
            ["visited-configurations"] = result.Keys.Sum(k => k.VisitedConfigurations),
            ["check-ms"] = (long)result.Elapsed.TotalMilliseconds,
            ["keys-not-linearizable"] = result.Keys.Count(k => k.Verdict == Verdict.NotLinearizable),
            ["keys-unknown"] = result.Keys.Count(k => k.Verdict == Verdict.Unknown),
        };

        var validity = result.Verdict switch
        {
            Verdict.Linearizable => Validity.Valid,
            Verdict.NotLinearizable => Validity.Invalid,
            _ => Validity.Unknown,
        };
        var summary = validity switch
        {
            Validity.Valid => $"linearizable: {result.Keys.Count} keys, {figures["operations-checked"]} operations checked in {result.Elapsed.TotalSeconds:F1} s",
            Validity.Invalid => $"NOT linearizable: {figures["keys-not-linearizable"]} of {result.Keys.Count} keys (first: \"{result.Counterexample?.Key}\")",
            _ => $"unknown: {figures["keys-unknown"]} of {result.Keys.Count} keys undecided within {budget.TotalSeconds:F0} s",
        };

        if (result.Counterexample is not { } counterexample)
            return new ValidationResult { Checker = "linearizability", Validity = validity, Summary = summary, Details = result.Describe(), Figures = figures };

        var prefix = counterexample.LinearizablePrefix;
        var context = prefix.Skip(Math.Max(0, prefix.Count - PrefixShown)).ToList();
        // Also show every other call on that key that overlaps the stuck candidates: they are what could have explained them.
        var from = counterexample.UnlinearizableOperations.Min(o => o.InvokeTime);
        var to = counterexample.UnlinearizableOperations.Max(o => o.CompleteTime ?? long.MaxValue);
        var shown = new HashSet<Operation>(context.Concat(counterexample.UnlinearizableOperations));
        context.AddRange(checkable.Where(o => o.Key == counterexample.Key && !shown.Contains(o)
            && o.InvokeTime <= to && (o.CompleteTime ?? long.MaxValue) >= from && (o.Status != OperationStatus.Fail || o.Kind == OperationKind.CompareAndSet)));
        return new ValidationResult
        {
            Checker = "linearizability",
            Validity = validity,
            Summary = summary,
            Details = result.Describe(),
            Figures = figures,
            Offending = counterexample.UnlinearizableOperations,
            Context = context,
        };
    }

    /// <summary>A compare-and-set the harness gave up on before it wrote or saw anything (an error starting "aborted").</summary>
    public static bool IsAbortedCompareAndSet(Operation operation) =>
        operation.Kind == OperationKind.CompareAndSet && operation.Status == OperationStatus.Fail
        && operation.Error?.StartsWith(RegisterWorkload.AbortedPrefix, StringComparison.Ordinal) == true;
}
