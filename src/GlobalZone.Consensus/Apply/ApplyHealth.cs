namespace GlobalZone.Consensus;

/// <summary>Why this member stopped applying: the index it could not apply and what the storage said.</summary>
public sealed record ApplyFault(long Index, string Reason, DateTimeOffset At);

/// <summary>
/// Whether this member can still apply committed entries. Once a storage fault stops the applier, the member's state
/// may hold part of a command and falls behind the group for good (until restarted on a mended disk), so it must not
/// answer reads, report ready, or lead; it stays out of the way and the rest of the group goes on.
/// </summary>
public sealed class ApplyHealth(TimeProvider time)
{
    private volatile ApplyFault? fault;

    /// <summary>The fault that stopped the applier, or null while the member applies normally.</summary>
    public ApplyFault? Fault => fault;

    public bool IsFaulted => fault is not null;

    /// <summary>Raised once, on the applier, when the first fault is reported. Handlers must not block.</summary>
    public event Action<ApplyFault>? Faulted;

    /// <summary>Records the fault (the first one wins) and tells the subscribers.</summary>
    public void Report(long index, Exception cause)
    {
        var recorded = new ApplyFault(index, $"{cause.GetType().Name}: {cause.Message}", time.GetUtcNow());
        if (Interlocked.CompareExchange(ref fault, recorded, null) is null)
            Faulted?.Invoke(recorded);
    }
}
