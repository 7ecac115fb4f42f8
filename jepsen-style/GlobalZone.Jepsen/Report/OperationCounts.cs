using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Traffic;

namespace GlobalZone.Jepsen.Report;

/// <summary>How many operations of each kind ended each way.</summary>
internal sealed record OperationCounts(long Total, IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> ByKind)
{
    /// <summary>Counts the calls of a history (observers' deliveries, e.g. watch events, are not calls).</summary>
    public static OperationCounts Of(IReadOnlyList<Operation> history)
    {
        var calls = history.Where(o => !ProcessIds.IsObserver(o.Process)).ToList();
        var byKind = calls
            .GroupBy(o => KindName(o.Kind))
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g => (IReadOnlyDictionary<string, long>)new[] { OperationStatus.Ok, OperationStatus.Fail, OperationStatus.Info }
                    .ToDictionary(s => s.ToString().ToLowerInvariant(), s => (long)g.Count(o => o.Status == s)));
        return new OperationCounts(calls.Count, byKind);
    }

    public long Count(OperationStatus status) => ByKind.Values.Sum(k => k.TryGetValue(status.ToString().ToLowerInvariant(), out var n) ? n : 0);

    private static string KindName(OperationKind kind) => kind switch
    {
        OperationKind.Read => "read",
        OperationKind.Write => "write",
        OperationKind.CompareAndSet => "cas",
        _ => "append",
    };
}
