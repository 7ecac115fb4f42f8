using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Report;
using GlobalZone.Jepsen.Traffic;
using GlobalZone.Jepsen.Traffic.BigValues;

namespace GlobalZone.Jepsen.Validate;

/// <summary>
/// Every check a run's history gets: the workload's checker (on the history without the big-value operations, which
/// are not the workload's) and, with <c>--big-values</c>, the big-values check. The run's verdict is the worst of them.
/// Shared by <c>run</c> and <c>check</c> so both judge a history the same way.
/// </summary>
internal static class RunChecks
{
    /// <summary>The workload's result first, then the others.</summary>
    /// <exception cref="ArgumentException">An unknown workload.</exception>
    public static IReadOnlyList<ValidationResult> Validate(string workload, bool bigValues, IReadOnlyList<Operation> history, TimeSpan budget)
    {
        var workloadHistory = history.Where(o => !BigValueKeys.Owns(o.Key)).ToList();
        var results = new List<ValidationResult> { WorkloadCatalog.Validator(workload).Validate(workloadHistory, budget) };
        if (bigValues)
            results.Add(new BigValueChecker().Validate(history, budget));
        return results;
    }

    /// <summary>The result whose operations the timeline draws: the first that is not valid, else the workload's.</summary>
    public static ValidationResult Headline(IReadOnlyList<ValidationResult> results)
        => results.FirstOrDefault(r => r.Validity == Validity.Invalid) ?? results.FirstOrDefault(r => r.Validity == Validity.Unknown) ?? results[0];

    public static CheckerReport ToReport(ValidationResult result)
        => new(result.Checker, result.Validity.ToString().ToLowerInvariant(), result.Summary, result.Details, result.Figures);
}
