using System.Globalization;
using System.Text;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Traffic;

namespace GlobalZone.Jepsen.Validate;

/// <summary>
/// The rwlock and semaphore workloads' checker. Violations:
/// <list type="bullet">
/// <item><em>illegal state</em>: a grant list the cluster showed has a writer beside another holder, or more than
/// <see cref="SharedLockWorkload.SemaphoreLimit"/> holders of the semaphore, or one token twice;</item>
/// <item><em>token order</em>: a grant received after another section had finished has a smaller token (tokens
/// must grow in real time, across leader changes);</item>
/// <item><em>interleaved writers</em> (rwlock): two accepted protected increments wrote the same value;</item>
/// <item><em>final value</em> (rwlock): the counter ends outside the accepted increments plus the indeterminate ones.</item>
/// </list>
/// </summary>
internal sealed class SharedLockChecker(bool semaphore) : IHistoryValidator
{
    public ValidationResult Validate(IReadOnlyList<Operation> history, TimeSpan budget)
    {
        var sections = LeasedLockHistory.Holds<SharedLockWorkload.Section>(history, SharedLockWorkload.SectionKey(semaphore))
            .Where(h => h.Record is not null)
            .Select(h => (h.Operation, Section: h.Record))
            .ToList();
        var granted = sections.Where(s => s.Section!.Token > 0).ToList();
        var problems = new StringBuilder();
        var offending = new List<Operation>();
        var context = new List<Operation>();

        var illegal = 0;
        foreach (var (operation, section) in granted.Where(s => s.Section!.Seen is not null))
        {
            var seen = section!.Seen!;
            var why = semaphore
                ? seen.Count > SharedLockWorkload.SemaphoreLimit ? $"{seen.Count} holders of a semaphore of {SharedLockWorkload.SemaphoreLimit}" : null
                : seen.Any(g => g.Mode == "write") && seen.Count > 1 ? $"a writer beside {seen.Count - 1} other holder(s)" : null;
            if (why is null && seen.Select(g => g.Token).Distinct().Count() != seen.Count)
                why = "one fencing token held twice";
            if (why is null)
                continue;
            illegal++;
            offending.Add(operation);
            problems.AppendLine(CultureInfo.InvariantCulture,
                $"illegal state: p{operation.Process} ({section.Mode}, token {section.Token}) saw {why}: {string.Join(", ", seen.Select(g => $"{g.Mode} {g.Token} (lease {g.Lease})"))}");
        }

        // Real-time token order: a section invoked after another completed was granted later, so its token is larger.
        // Unless it is the same grant: a lease that still holds (its release was lost in a fault) and asks again is
        // answered with its current grant, token and all.
        var firstInvokeOfGrant = granted.GroupBy(s => (s.Section!.Lease, s.Section.Token)).ToDictionary(g => g.Key, g => g.Min(s => s.Operation.InvokeTime));
        var outOfOrder = 0;
        var byCompletion = granted.Where(s => s.Operation.CompleteTime is not null && s.Operation.Status != OperationStatus.Info).OrderBy(s => s.Operation.CompleteTime).ToList();
        var next = 0;
        (Operation Operation, long Token)? highest = null;
        foreach (var current in granted.OrderBy(s => s.Operation.InvokeTime))
        {
            while (next < byCompletion.Count && byCompletion[next].Operation.CompleteTime < current.Operation.InvokeTime)
            {
                if (highest is null || byCompletion[next].Section!.Token > highest.Value.Token)
                    highest = (byCompletion[next].Operation, byCompletion[next].Section!.Token);
                next++;
            }

            var continued = firstInvokeOfGrant[(current.Section!.Lease, current.Section.Token)] < current.Operation.InvokeTime;
            if (highest is { } before && current.Section.Token <= before.Token && !continued)
            {
                outOfOrder++;
                offending.Add(current.Operation);
                context.Add(before.Operation);
                problems.AppendLine(CultureInfo.InvariantCulture, $"token order: p{current.Operation.Process} was granted token {current.Section.Token} after a section with token {before.Token} had finished");
            }
        }

        var writes = sections.Where(s => s.Section!.Mode == "write").ToList();
        var accepted = writes.Where(s => s.Operation.Status == OperationStatus.Ok && s.Section!.Wrote > 0).ToList();
        var indeterminate = writes.Count(s => s.Operation.Status == OperationStatus.Info);
        var interleaved = 0;
        foreach (var group in accepted.GroupBy(s => s.Section!.Wrote).Where(g => g.Count() > 1))
        {
            interleaved += group.Count();
            offending.AddRange(group.Select(s => s.Operation));
            problems.AppendLine(CultureInfo.InvariantCulture, $"interleaved writers: {group.Count()} writers read {group.Key - 1} and wrote {group.Key}: tokens {string.Join(", ", group.Select(s => s.Section!.Token))}");
        }

        long? finalValue = null;
        var finalRead = semaphore ? null : LeasedLockHistory.FinalRead(history, SharedLockWorkload.CounterKey);
        if (finalRead is not null && long.TryParse(finalRead.Output ?? "0", NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            finalValue = value;
            LeasedLockHistory.CheckFinalValue(value, accepted.Count, indeterminate, finalRead, problems, context);
        }

        var figures = new Dictionary<string, long>
        {
            ["sections"] = sections.Count,
            ["granted"] = granted.Count,
            ["inspected"] = granted.Count(s => s.Section!.Seen is not null),
            ["most-holders-seen"] = granted.Select(s => (long)(s.Section!.Seen?.Count ?? 0)).DefaultIfEmpty(0).Max(),
            ["illegal-states"] = illegal,
            ["token-order-violations"] = outOfOrder,
            ["accepted-writes"] = accepted.Count,
            ["interleaved"] = interleaved,
        };
        if (finalValue is { } final)
            figures["final-value"] = final;

        var name = semaphore ? "semaphore" : "rwlock";
        var validity = problems.Length > 0 ? Validity.Invalid
            : granted.Count == 0 || (!semaphore && finalRead is null) ? Validity.Unknown
            : Validity.Valid;
        var summary = validity switch
        {
            Validity.Valid => $"the {name} held: {granted.Count} grants, every state legal (at most {figures["most-holders-seen"]} holders seen), tokens in order"
                + (semaphore ? "" : $", {accepted.Count} writer increments, final value {finalValue}"),
            Validity.Invalid => $"{name.ToUpperInvariant()} SAFETY VIOLATED: {illegal} illegal states, {outOfOrder} out-of-order tokens, {interleaved} interleaved writers",
            _ => granted.Count == 0 ? "unknown: nothing was granted" : "unknown: no final read of the counter succeeded",
        };
        return LeasedLockHistory.Result(name, validity, summary, problems, figures, offending, context);
    }
}
