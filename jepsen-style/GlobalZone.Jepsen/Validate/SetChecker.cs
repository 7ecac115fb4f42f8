using System.Globalization;
using System.Text;
using System.Text.Json;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Traffic;

namespace GlobalZone.Jepsen.Validate;

/// <summary>
/// The set workload's checker (Jepsen's set checker): the final listing must contain every acknowledged addition
/// (else <em>lost</em>), nothing never attempted (<em>unexpected</em>), nothing whose addition was refused for certain
/// (<em>failed-but-present</em>), and no element twice (<em>duplicated</em>). Additions with unknown outcome may be
/// present or not; those present are counted as <em>recovered</em>.
/// </summary>
internal sealed class SetChecker : IHistoryValidator
{
    private const int ListedInDetails = 50;

    public ValidationResult Validate(IReadOnlyList<Operation> history, TimeSpan budget)
    {
        var additions = history.Where(o => o.Kind == OperationKind.Write && o.Key.StartsWith(SetWorkload.Prefix, StringComparison.Ordinal) && o.Key.Length > SetWorkload.Prefix.Length).ToList();
        var finalRead = history.LastOrDefault(o => o.Kind == OperationKind.Read && o.Key == SetWorkload.Prefix && o.Status == OperationStatus.Ok);
        var attempted = new Dictionary<string, Operation>(StringComparer.Ordinal);
        foreach (var addition in additions)
            attempted[addition.Input ?? ""] = addition;

        var figures = new Dictionary<string, long>
        {
            ["attempted"] = additions.Count,
            ["acknowledged"] = additions.Count(o => o.Status == OperationStatus.Ok),
            ["failed"] = additions.Count(o => o.Status == OperationStatus.Fail),
            ["indeterminate"] = additions.Count(o => o.Status == OperationStatus.Info),
        };
        if (finalRead is null)
        {
            return new ValidationResult
            {
                Checker = "set",
                Validity = Validity.Unknown,
                Summary = "unknown: no final listing succeeded, so nothing can be said about lost additions",
                Figures = figures,
            };
        }

        List<string> read;
        try
        {
            read = ParseElements(finalRead.Output);
        }
        catch (JsonException e)
        {
            return new ValidationResult { Checker = "set", Validity = Validity.Unknown, Summary = "unknown: the final listing is unreadable: " + e.Message, Figures = figures };
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var duplicated = new SortedSet<string>(NumericOrder.Instance);
        foreach (var element in read)
        {
            if (!seen.Add(element))
                duplicated.Add(element);
        }

        var lost = additions.Where(o => o.Status == OperationStatus.Ok && !seen.Contains(o.Input ?? "")).ToList();
        var failedButPresent = additions.Where(o => o.Status == OperationStatus.Fail && seen.Contains(o.Input ?? "")).ToList();
        var recovered = additions.Count(o => o.Status == OperationStatus.Info && seen.Contains(o.Input ?? ""));
        var unexpected = seen.Where(e => !attempted.ContainsKey(e)).OrderBy(e => e, NumericOrder.Instance).ToList();
        figures["read"] = read.Count;
        figures["lost"] = lost.Count;
        figures["unexpected"] = unexpected.Count;
        figures["failed-but-present"] = failedButPresent.Count;
        figures["duplicated"] = duplicated.Count;
        figures["recovered"] = recovered;

        var valid = lost.Count == 0 && unexpected.Count == 0 && failedButPresent.Count == 0 && duplicated.Count == 0;
        var summary = valid
            ? $"valid: all {figures["acknowledged"]} acknowledged additions present ({recovered} of {figures["indeterminate"]} indeterminate ones too)"
            : $"INVALID: lost {lost.Count}, unexpected {unexpected.Count}, failed-but-present {failedButPresent.Count}, duplicated {duplicated.Count}";
        var details = new StringBuilder();
        details.AppendLine(summary);
        Describe(details, "lost (acknowledged, not in the final listing)", lost.Select(o => o.Input ?? ""));
        Describe(details, "unexpected (never attempted)", unexpected);
        Describe(details, "failed-but-present (refused for certain, yet listed)", failedButPresent.Select(o => o.Input ?? ""));
        Describe(details, "duplicated", duplicated);
        return new ValidationResult
        {
            Checker = "set",
            Validity = valid ? Validity.Valid : Validity.Invalid,
            Summary = summary,
            Details = details.ToString(),
            Figures = figures,
            Offending = lost.Concat(failedButPresent).Take(ListedInDetails).ToList(),
            Context = valid ? [] : [finalRead],
        };
    }

    // The listing is a JSON array of numbers (or "key=value" strings for elements whose key and value disagree).
    internal static List<string> ParseElements(string? output)
    {
        using var document = JsonDocument.Parse(output ?? "[]");
        return document.RootElement.EnumerateArray()
            .Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : e.GetRawText())
            .ToList();
    }

    private static void Describe(StringBuilder text, string what, IEnumerable<string> elements)
    {
        var list = elements.ToList();
        if (list.Count == 0)
            return;
        text.Append(CultureInfo.InvariantCulture, $"{what}: {list.Count}: ");
        text.AppendJoin(", ", list.Take(ListedInDetails));
        text.AppendLine(list.Count > ListedInDetails ? ", ..." : "");
    }

    /// <summary>Orders numeric strings by value, others after them by text.</summary>
    private sealed class NumericOrder : IComparer<string>
    {
        public static readonly NumericOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var xNumber = long.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var a);
            var yNumber = long.TryParse(y, NumberStyles.None, CultureInfo.InvariantCulture, out var b);
            return (xNumber, yNumber) switch
            {
                (true, true) => a.CompareTo(b),
                (true, false) => -1,
                (false, true) => 1,
                _ => string.CompareOrdinal(x, y),
            };
        }
    }
}
