using GlobalZone.Jepsen.Checker;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>
/// A kind of traffic (register, set, ...): how one client performs one operation, which reads settle the history once
/// the faults are healed, and which checker judges the result.
/// </summary>
internal interface IWorkload
{
    string Name { get; }

    /// <summary>Performs and records one operation; returns how it ended. Never throws for what the cluster does.</summary>
    Task<OperationStatus> InvokeAsync(ClientContext client, CancellationToken abort);

    /// <summary>After healing and recovery: the reads the checker needs (recorded in the same history).</summary>
    Task FinalReadsAsync(FinalReadContext context, CancellationToken token);
}
