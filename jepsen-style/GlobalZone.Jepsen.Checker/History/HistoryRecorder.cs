using System.Diagnostics;

namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// Thread-safe recorder a harness uses to build a history while clients run. Call <see cref="Invoke"/> just
/// before sending a request and <see cref="Complete"/> just after its answer (or give-up): that ordering is what
/// makes the recorded real-time order sound. Times come from one monotonic clock taken under one lock, so the
/// event indices and the times agree.
/// </summary>
public sealed class HistoryRecorder
{
    private readonly Lock gate = new();
    private readonly List<Operation> operations = [];
    private int nextEventIndex;

    /// <summary>Records the invocation of a call and returns the handle to complete it with.</summary>
    public PendingOperation Invoke(int process, OperationKind kind, string key, string? input = null, string? expected = null)
    {
        lock (gate)
        {
            // Until completed the call is indeterminate, which is also what it stays if the harness never hears back.
            operations.Add(new Operation
            {
                Process = process,
                Kind = kind,
                Key = key,
                Input = input,
                Expected = expected,
                Status = OperationStatus.Info,
                InvokeTime = Stopwatch.GetTimestamp(),
                InvokeIndex = nextEventIndex++,
            });
            return new PendingOperation(operations.Count - 1);
        }
    }

    /// <summary>Records how a call ended. <paramref name="output"/> is the value a read returned (null = absent).</summary>
    public void Complete(PendingOperation pending, OperationStatus status, string? output = null, string? error = null)
    {
        lock (gate)
        {
            var invoked = operations[pending.Slot];
            if (invoked.CompleteIndex is not null)
            {
                throw new InvalidOperationException($"Operation {invoked} was already completed.");
            }
            operations[pending.Slot] = invoked with
            {
                Status = status,
                Output = output,
                Error = error,
                CompleteTime = Stopwatch.GetTimestamp(),
                CompleteIndex = nextEventIndex++,
            };
        }
    }

    /// <summary>The history so far, in invocation order; calls not yet completed appear as indeterminate.</summary>
    public IReadOnlyList<Operation> Snapshot()
    {
        lock (gate)
        {
            return operations.ToArray();
        }
    }
}
