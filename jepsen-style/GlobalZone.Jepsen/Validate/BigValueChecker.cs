using System.Text;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Traffic.BigValues;

namespace GlobalZone.Jepsen.Validate;

/// <summary>
/// The <c>--big-values</c> check, run beside the workload's: every final read of a big key (one per key per voter) must
/// find an intact value (<em>corrupted</em> otherwise) of a write that was attempted (<em>never-written</em>), not
/// refused for certain (<em>failed-but-present</em>), and no older than the key's last acknowledged write
/// (<em>older-than-acknowledged</em>); a key absent although a write to it was acknowledged is <em>lost</em>. Unknown
/// writes may or may not be there. Each final read names the voter it asked (its input); a key with acknowledged
/// writes that some voter never answered for leaves that voter's copy unchecked, and the answer unknown.
/// </summary>
internal sealed class BigValueChecker : IHistoryValidator
{
    public const string Name = "big-values";
    private const int Listed = 50;

    public ValidationResult Validate(IReadOnlyList<Operation> history, TimeSpan budget)
    {
        var recorded = history
            .Where(o => o.Kind == OperationKind.Write && BigValueKeys.Owns(o.Key))
            .Select(o => (Operation: o, Write: BigWrite.Parse(o.Input)))
            .Where(w => w.Write is not null)
            .ToList();
        var writesByKey = recorded
            .SelectMany(w => BigValueKeys.Written(w.Operation.Key, w.Write!).Select(key => (Key: key, w.Operation, Write: w.Write!)))
            .GroupBy(w => w.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var attempts = history.Where(o => o.Kind == OperationKind.Read && BigValueKeys.Owns(o.Key)).ToList();
        var reads = attempts.Where(o => o.Status == OperationStatus.Ok).ToList();
        var voters = attempts.Select(o => o.Input ?? "").Distinct(StringComparer.Ordinal).ToList();

        var figures = new Dictionary<string, long>
        {
            ["writes"] = recorded.Count,
            ["writes-ok"] = recorded.Count(w => w.Operation.Status == OperationStatus.Ok),
            ["writes-fail"] = recorded.Count(w => w.Operation.Status == OperationStatus.Fail),
            ["writes-unknown"] = recorded.Count(w => w.Operation.Status == OperationStatus.Info),
            ["transactions-ok"] = recorded.Count(w => w.Operation.Status == OperationStatus.Ok && w.Write!.TransactionKeys is not null),
            ["bytes-acknowledged"] = recorded.Where(w => w.Operation.Status == OperationStatus.Ok).Sum(w => w.Write!.TotalBytes),
            ["bytes-sent"] = recorded.Sum(w => w.Write!.TotalBytes),
            ["keys"] = writesByKey.Count,
            ["final-reads"] = reads.Count,
            ["final-reads-failed"] = attempts.Count - reads.Count,
            ["voters-read"] = voters.Count,
        };

        var problems = new List<(string Kind, string Text, Operation Read, Operation? Write)>();
        foreach (var read in reads)
        {
            var writes = writesByKey.GetValueOrDefault(read.Key) ?? [];
            var acknowledged = writes.Where(w => w.Operation.Status == OperationStatus.Ok).ToList();
            var lastAcknowledged = acknowledged.Count == 0 ? null : acknowledged.MaxBy(w => w.Write.Sequence).Operation;
            var lastAcknowledgedSequence = acknowledged.Count == 0 ? 0 : acknowledged.Max(w => w.Write.Sequence);
            if (read.Output is null)
            {
                if (lastAcknowledged is not null)
                    problems.Add(("lost", $"{read.Key} is absent, though write {lastAcknowledgedSequence} was acknowledged", read, lastAcknowledged));
                continue;
            }

            var found = BigValueObservation.Parse(read.Output);
            if (!found.IsIntact)
            {
                problems.Add(("corrupted", $"{read.Key}: {found.Problem}", read, lastAcknowledged));
                continue;
            }

            var (_, writeOperation, written) = writes.FirstOrDefault(w => w.Write.Sequence == found.Sequence);
            if (written is null)
                problems.Add(("never-written", $"{read.Key} holds write {found.Sequence}, which was never attempted on it", read, null));
            else if (written.Length != found.Length)
                problems.Add(("corrupted", $"{read.Key} holds write {found.Sequence} with {found.Length} bytes; {written.Length} were written", read, writeOperation));
            else if (writeOperation.Status == OperationStatus.Fail)
                problems.Add(("failed-but-present", $"{read.Key} holds write {found.Sequence}, which was refused for certain ({writeOperation.Error})", read, writeOperation));
            else if (found.Sequence < lastAcknowledgedSequence)
                problems.Add(("older-than-acknowledged", $"{read.Key} holds write {found.Sequence}, older than the acknowledged write {lastAcknowledgedSequence}", read, lastAcknowledged));
        }

        // (voter, key) pairs that matter and were never answered: an acknowledged write is there to be checked.
        var answered = reads.Select(r => (Voter: r.Input ?? "", r.Key)).ToHashSet();
        var unread = writesByKey.Where(k => k.Value.Any(w => w.Operation.Status == OperationStatus.Ok))
            .SelectMany(k => voters.Where(v => !answered.Contains((v, k.Key))).Select(v => $"{k.Key} on {v}"))
            .Order(StringComparer.Ordinal).ToList();
        var unreadKeys = writesByKey.Count(k => k.Value.Any(w => w.Operation.Status == OperationStatus.Ok));
        if (voters.Count == 0 && unreadKeys > 0)
            unread.Add($"all {unreadKeys} keys with acknowledged writes on every voter (no final read was made)");
        foreach (var kind in (string[])["lost", "corrupted", "never-written", "failed-but-present", "older-than-acknowledged"])
            figures[kind] = problems.Count(p => p.Kind == kind);
        figures["copies-unread"] = unread.Count;

        var validity = problems.Count > 0 ? Validity.Invalid : unread.Count > 0 ? Validity.Unknown : Validity.Valid;
        var summary = validity switch
        {
            Validity.Valid => $"valid: {reads.Count} reads of {writesByKey.Count} keys intact and current; {figures["writes-ok"]} writes acknowledged ({Megabytes(figures["bytes-acknowledged"])}), {figures["writes-fail"]} failed, {figures["writes-unknown"]} unknown",
            Validity.Invalid => "INVALID: " + string.Join(", ", problems.GroupBy(p => p.Kind).Select(g => $"{g.Key} {g.Count()}")),
            _ => voters.Count == 0
                ? "unknown: no final read of the big keys was made"
                : $"unknown: {unread.Count} copies of keys with acknowledged writes could not be read ({string.Join(", ", unread.Select(u => u[(u.LastIndexOf(" on ", StringComparison.Ordinal) + 4)..]).Distinct())} never answered)",
        };
        var details = new StringBuilder().AppendLine(summary);
        foreach (var problem in problems.Take(Listed))
            details.AppendLine($"{problem.Kind}: {problem.Text}");
        if (problems.Count > Listed)
            details.AppendLine($"... and {problems.Count - Listed} more");
        if (unread.Count > 0)
            details.AppendLine("never read: " + string.Join(", ", unread.Take(Listed)));
        return new ValidationResult
        {
            Checker = Name,
            Validity = validity,
            Summary = summary,
            Details = details.ToString(),
            Figures = figures,
            Offending = problems.Select(p => p.Read).Distinct().Take(Listed).ToList(),
            Context = problems.Where(p => p.Write is not null).Select(p => p.Write!).Distinct().Take(Listed).ToList(),
        };
    }

    private static string Megabytes(long bytes) => $"{bytes / (1024.0 * 1024.0):0.0} MiB";
}
