using System.Globalization;
using System.Text;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Traffic;

namespace GlobalZone.Jepsen.Validate;

/// <summary>
/// The election workload's checker: at most one leader acted at a time. Violations:
/// <list type="bullet">
/// <item><em>shared token</em>: two terms were granted the same fencing token — two leaders for one grant;</item>
/// <item><em>overlap</em>: in commit (revision) order, an accepted act of a leader came after an act of a leader with a
/// larger token. Tokens grow with every election, so that act is a deposed leader's, made while (or after) a newer
/// leader acted: exactly what fencing exists to refuse. With no overlap, the leaders' acts form disjoint runs whose
/// tokens increase.</item>
/// </list>
/// </summary>
internal sealed class ElectionChecker : IHistoryValidator
{
    public ValidationResult Validate(IReadOnlyList<Operation> history, TimeSpan budget)
    {
        var terms = LeasedLockHistory.Holds<ElectionWorkload.Term>(history, ElectionWorkload.ActsKey)
            .Where(h => h.Record is not null)
            .Select(h => (h.Operation, Term: h.Record!))
            .ToList();
        var elected = terms.Where(t => t.Term.Token > 0).ToList();
        var acts = elected.SelectMany(t => t.Term.Acts.Select(revision => (Revision: revision, t.Term.Token, t.Operation, t.Term))).OrderBy(a => a.Revision).ToList();
        var figures = new Dictionary<string, long>
        {
            ["terms"] = terms.Count,
            ["elected"] = elected.Count,
            ["acting-terms"] = elected.Count(t => t.Term.Acts.Count > 0),
            ["acts"] = acts.Count,
            ["indeterminate"] = terms.Count(t => t.Operation.Status == OperationStatus.Info),
            ["stalled-leaders"] = terms.Count(t => t.Term.PausedMs > 0),
            ["fenced"] = terms.Any(t => t.Term.Fenced) ? 1 : 0,
        };

        var problems = new StringBuilder();
        var offending = new List<Operation>();
        var context = new List<Operation>();
        var shared = 0;
        foreach (var group in elected.GroupBy(t => t.Term.Token).Where(g => g.Count() > 1))
        {
            shared++;
            problems.AppendLine(CultureInfo.InvariantCulture, $"shared token: token {group.Key} was granted to {group.Count()} terms ({string.Join(", ", group.Select(t => t.Term.Candidate))})");
            offending.AddRange(group.Select(t => t.Operation));
        }

        figures["shared-tokens"] = shared;
        var overlaps = 0;
        (long Revision, long Token, Operation Operation, ElectionWorkload.Term Term)? newest = null;
        foreach (var act in acts)
        {
            if (newest is { } n && act.Token < n.Token)
            {
                overlaps++;
                var stalled = act.Term.PausedMs > 0 ? $"; it had stalled {act.Term.PausedMs} ms" : "";
                problems.AppendLine(CultureInfo.InvariantCulture,
                    $"overlap: {act.Term.Candidate} (token {act.Token}) acted at revision {act.Revision}, after {n.Term.Candidate} (token {n.Token}) acted at revision {n.Revision}{stalled}");
                if (!offending.Contains(act.Operation))
                    offending.Add(act.Operation);
                context.Add(n.Operation);
                continue;
            }

            newest = act;
        }

        figures["overlaps"] = overlaps;
        var validity = problems.Length > 0 ? Validity.Invalid : acts.Count == 0 ? Validity.Unknown : Validity.Valid;
        var mode = figures["fenced"] == 1 ? "fenced" : "unfenced";
        var summary = validity switch
        {
            Validity.Valid => $"one leader at a time ({mode}): {figures["acting-terms"]} terms acted {acts.Count} times in token order"
                + (figures["stalled-leaders"] > 0 ? $", {figures["stalled-leaders"]} stalled leaders" : ""),
            Validity.Invalid => $"ELECTION SAFETY VIOLATED ({mode}): {overlaps} acts by deposed leaders, {shared} shared tokens",
            _ => "unknown: no leader's act was accepted",
        };
        return LeasedLockHistory.Result("election", validity, summary, problems, figures, offending, context);
    }
}
