using System.Globalization;
using System.Text;
using System.Text.Json;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Traffic;

namespace GlobalZone.Jepsen.Validate;

/// <summary>
/// How the lock-like checkers (lock, rwlock/semaphore, election) read the histories of
/// <see cref="LeasedLockWorkload"/>s and phrase their verdicts, in one place so the three cannot read or judge the
/// same things differently: each hold is a write whose output is the workload's record, a protected counter is
/// settled by one final read, and that counter must end between the accepted increments and those plus the
/// indeterminate ones.
/// </summary>
internal static class LeasedLockHistory
{
    /// <summary>Every hold recorded under <paramref name="key"/>, with its record (null when the output is missing or unreadable).</summary>
    public static List<(Operation Operation, TRecord? Record)> Holds<TRecord>(IReadOnlyList<Operation> history, string key)
        where TRecord : class =>
        history.Where(o => o.Kind == OperationKind.Write && o.Key == key).Select(o => (o, Parse<TRecord>(o.Output))).ToList();

    /// <summary>The last successful read of the counter <paramref name="key"/> (the final read), if any.</summary>
    public static Operation? FinalRead(IReadOnlyList<Operation> history, string key) =>
        history.LastOrDefault(o => o.Kind == OperationKind.Read && o.Key == key && o.Status == OperationStatus.Ok);

    /// <summary>
    /// The counter's final value must lie between the accepted increments and those plus the indeterminate ones (fewer
    /// means lost increments, more means a write nobody made); a problem is noted, with the final read as context.
    /// </summary>
    public static void CheckFinalValue(long value, int accepted, int indeterminate, Operation finalRead, StringBuilder problems, List<Operation> context)
    {
        if (value >= accepted && value <= accepted + indeterminate)
            return;
        problems.AppendLine(CultureInfo.InvariantCulture, $"final value: the counter ends at {value}, but {accepted} increments were accepted and {indeterminate} are indeterminate");
        context.Add(finalRead);
    }

    /// <summary>The checker's result: the problems follow the summary in the details; context leaves out what offends.</summary>
    public static ValidationResult Result(string checker, Validity validity, string summary, StringBuilder problems, Dictionary<string, long> figures,
        List<Operation> offending, List<Operation> context) => new()
        {
            Checker = checker,
            Validity = validity,
            Summary = summary,
            Details = summary + Environment.NewLine + problems,
            Figures = figures,
            Offending = offending.Distinct().ToList(),
            Context = context.Except(offending).Distinct().ToList(),
        };

    private static TRecord? Parse<TRecord>(string? output)
        where TRecord : class
    {
        if (string.IsNullOrEmpty(output))
            return null;
        try
        {
            return JsonSerializer.Deserialize<TRecord>(output, LeasedLockWorkload.OutputJson);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
