using GlobalZone.Jepsen.Report;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Scenarios;

/// <summary>How a run ended: its verdict, where its results are, what the checker found.</summary>
internal sealed record RunOutcome(Validity Validity, string ResultsFolder, RunReport Report, ValidationResult Validation);
