using System.Globalization;
using System.Text;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Traffic;

namespace GlobalZone.Jepsen.Validate;

/// <summary>
/// The lock workload's checker: the lock must have protected the counter. Violations:
/// <list type="bullet">
/// <item><em>interleaved</em>: two accepted protected writes wrote the same value, so both holders read the same
/// counter — their critical sections overlapped and an increment was lost;</item>
/// <item><em>token order</em>: in commit (revision) order, accepted writes' fencing tokens must strictly increase — a
/// write from an older grant landing after a newer grant's is exactly what fencing exists to refuse;</item>
/// <item><em>final value</em>: the counter's final value must lie between the accepted increments and those plus the
/// indeterminate ones (fewer means lost increments, more means a write nobody made).</item>
/// </list>
/// </summary>
internal sealed class LockChecker : IHistoryValidator
{
    public ValidationResult Validate(IReadOnlyList<Operation> history, TimeSpan budget)
    {
        var sections = LeasedLockHistory.Holds<LockWorkload.Section>(history, LockWorkload.CounterKey).Select(h => (h.Operation, Section: h.Record)).ToList();
        var accepted = sections.Where(s => s.Operation.Status == OperationStatus.Ok && s.Section is not null).ToList();
        var indeterminate = sections.Count(s => s.Operation.Status == OperationStatus.Info);
        var finalRead = LeasedLockHistory.FinalRead(history, LockWorkload.CounterKey);
        var figures = new Dictionary<string, long>
        {
            ["sections"] = sections.Count,
            ["granted"] = sections.Count(s => s.Section?.Token > 0),
            ["accepted-writes"] = accepted.Count,
            ["refused-writes"] = sections.Count(s => s.Operation.Status == OperationStatus.Fail && s.Section?.Wrote > 0),
            ["indeterminate"] = indeterminate,
            ["stalled-holders"] = sections.Count(s => s.Section?.PausedMs > 0),
            ["stalled-holders-accepted"] = accepted.Count(s => s.Section!.PausedMs > 0),
            ["fenced"] = sections.Any(s => s.Section?.Fenced == true) ? 1 : 0,
        };

        var problems = new StringBuilder();
        var offending = new List<Operation>();
        var context = new List<Operation>();
        foreach (var group in accepted.GroupBy(s => s.Section!.Wrote).Where(g => g.Count() > 1))
        {
            var holders = group.OrderBy(s => s.Section!.Revision).ToList();
            var who = string.Join("; ", holders.Select(h => $"token {h.Section!.Token} at revision {h.Section.Revision}{(h.Section.PausedMs > 0 ? $" after stalling {h.Section.PausedMs} ms" : "")}"));
            problems.AppendLine(CultureInfo.InvariantCulture, $"interleaved: {holders.Count} holders read {group.Key - 1} and wrote {group.Key}: {who}");
            offending.AddRange(holders.Select(h => h.Operation));
        }

        figures["interleaved"] = offending.Count;
        var ordered = accepted.OrderBy(s => s.Section!.Revision).ToList();
        var outOfOrder = 0;
        for (var i = 1; i < ordered.Count; i++)
        {
            var before = ordered[i - 1];
            var after = ordered[i];
            if (after.Section!.Token > before.Section!.Token)
                continue;
            outOfOrder++;
            problems.AppendLine(CultureInfo.InvariantCulture, $"token order: token {after.Section.Token} was accepted at revision {after.Section.Revision}, after token {before.Section.Token} at revision {before.Section.Revision}");
            if (!offending.Contains(after.Operation))
                offending.Add(after.Operation);
            context.Add(before.Operation);
        }

        figures["token-order-violations"] = outOfOrder;
        long? finalValue = null;
        if (finalRead is not null)
        {
            finalValue = long.TryParse(finalRead.Output ?? "0", NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;
            figures["final-value"] = finalValue ?? -1;
            if (finalValue is { } final)
                LeasedLockHistory.CheckFinalValue(final, accepted.Count, indeterminate, finalRead, problems, context);
        }

        var valid = problems.Length == 0;
        var validity = valid ? finalRead is null ? Validity.Unknown : Validity.Valid : Validity.Invalid;
        var mode = figures["fenced"] == 1 ? "fenced" : "unfenced";
        var summary = validity switch
        {
            Validity.Valid => $"the lock protected the counter ({mode}): {accepted.Count} increments, tokens in order, final value {finalValue}"
                + (figures["stalled-holders"] > 0 ? $", {figures["stalled-holders"] - figures["stalled-holders-accepted"]} of {figures["stalled-holders"]} stalled holders' writes refused" : ""),
            Validity.Invalid => $"LOCK SAFETY VIOLATED ({mode}): {figures["interleaved"]} interleaved writes, {outOfOrder} out-of-order tokens",
            _ => "unknown: no final read of the counter succeeded",
        };
        return LeasedLockHistory.Result("lock", validity, summary, problems, figures, offending, context);
    }
}
