using GlobalZone.Jepsen.Report;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Scenarios;

/// <summary>How a run ended: its verdict, where its results are, what the workload's checker and the others found.</summary>
/// <param name="Validation">The workload's checker.</param>
/// <param name="OtherValidations">Checks beside it (e.g. big-values); the verdict is the worst of all.</param>
internal sealed record RunOutcome(Validity Validity, string ResultsFolder, RunReport Report, ValidationResult Validation, IReadOnlyList<ValidationResult> OtherValidations);
