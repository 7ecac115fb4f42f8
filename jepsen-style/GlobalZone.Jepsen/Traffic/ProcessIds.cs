namespace GlobalZone.Jepsen.Traffic;

/// <summary>
/// How process ids in a history are allotted: clients count up from 0 (a fresh id after each indeterminate call),
/// the <c>--big-values</c> writers <see cref="BigValueWriters"/> and up, final reads <see cref="FinalReads"/> (the
/// big-value final reads, one process per voter, <see cref="BigValueFinalReads"/> and up), and observers (watchers)
/// <see cref="Observers"/> and up. Observers' records are deliveries, not calls, so charts and operation counts leave
/// them out.
/// </summary>
internal static class ProcessIds
{
    public const int BigValueWriters = 500_000;

    public const int FinalReads = 1_000_000;

    public const int BigValueFinalReads = FinalReads + 1;

    public const int Observers = 2_000_000;

    public static bool IsObserver(int process) => process >= Observers;
}
