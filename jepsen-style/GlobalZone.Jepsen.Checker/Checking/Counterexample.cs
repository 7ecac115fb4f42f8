using System.Globalization;
using System.Text;

namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// Why a key's history is not linearizable: the longest prefix the search could linearize, the state it leads to,
/// and the concurrent operations that were candidates to come next — every one of which the model rejects in
/// that state. Those candidates are all the operations invoked before the earliest pending completion, so the
/// last of them to complete had to take effect by then and could not.
/// </summary>
/// <param name="Key">The key whose sub-history failed.</param>
/// <param name="LinearizablePrefix">The longest linearization found, in linearization order.</param>
/// <param name="StateAfterPrefix">The model state after that prefix, as the model describes it.</param>
/// <param name="UnlinearizableOperations">The candidates for the next step, none of which the model accepts.</param>
public sealed record Counterexample(
    string Key,
    IReadOnlyList<Operation> LinearizablePrefix,
    string StateAfterPrefix,
    IReadOnlyList<Operation> UnlinearizableOperations)
{
    /// <summary>Renders the counterexample, showing at most <paramref name="prefixOperationsShown"/> of the prefix's last operations.</summary>
    public string Describe(int prefixOperationsShown = 10)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Key \"{Key}\" is not linearizable.").AppendLine();
        var shownFrom = Math.Max(0, LinearizablePrefix.Count - prefixOperationsShown);
        text.Append(CultureInfo.InvariantCulture, $"Longest linearizable prefix: {LinearizablePrefix.Count} operations");
        text.AppendLine(shownFrom > 0 ? $" (last {LinearizablePrefix.Count - shownFrom} shown):" : ":");
        for (var i = shownFrom; i < LinearizablePrefix.Count; i++)
        {
            text.Append("  ").Append((i + 1).ToString(CultureInfo.InvariantCulture)).Append(". ").Append(LinearizablePrefix[i]).AppendLine();
        }
        text.Append("State after the prefix: ").Append(StateAfterPrefix).AppendLine();
        text.AppendLine("None of these concurrent operations can take effect next:");
        foreach (var operation in UnlinearizableOperations)
        {
            text.Append("  ").Append(operation).AppendLine();
        }
        return text.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => Describe();
}
