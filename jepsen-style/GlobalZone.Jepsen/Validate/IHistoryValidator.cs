using GlobalZone.Jepsen.Checker;

namespace GlobalZone.Jepsen.Validate;

/// <summary>Judges a recorded history. Pure: the same history always gets the same answer (within the time budget).</summary>
internal interface IHistoryValidator
{
    ValidationResult Validate(IReadOnlyList<Operation> history, TimeSpan budget);
}
