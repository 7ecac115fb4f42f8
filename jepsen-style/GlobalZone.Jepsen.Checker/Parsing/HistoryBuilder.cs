namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// Pairs a log's invoke and completion events, per process, into <see cref="Operation"/>s. The position of an event
/// among the operation events serves as both its time and its index: a log's line order is its real-time order.
/// </summary>
internal sealed class HistoryBuilder
{
    private readonly List<Operation> operations = [];
    private readonly Dictionary<int, int> pendingSlotByProcess = [];
    private int nextEventIndex;

    public void Invoke(int process, OperationKind kind, string key, string? input, string? expected)
    {
        // A process that invokes again without completing its previous call gave up on it; that call stays
        // indeterminate (its recorded status until completed).
        pendingSlotByProcess[process] = operations.Count;
        var index = nextEventIndex++;
        operations.Add(new Operation
        {
            Process = process,
            Kind = kind,
            Key = key,
            Input = input,
            Expected = expected,
            Status = OperationStatus.Info,
            InvokeTime = index,
            InvokeIndex = index,
        });
    }

    /// <summary>Completes the process's pending call; <paramref name="output"/> is kept for successful reads only.</summary>
    /// <exception cref="FormatException">The process has no pending call of that kind.</exception>
    public void Complete(int process, OperationKind kind, OperationStatus status, string? output, string? error, string location)
    {
        if (!pendingSlotByProcess.Remove(process, out var slot))
        {
            throw new FormatException($"{location}: process {process} completes a {kind} it never invoked.");
        }
        var invoked = operations[slot];
        if (invoked.Kind != kind)
        {
            throw new FormatException($"{location}: process {process} completes a {kind} but invoked {invoked}.");
        }
        var index = nextEventIndex++;
        operations[slot] = invoked with
        {
            Status = status,
            Output = status == OperationStatus.Ok && kind == OperationKind.Read ? output : null,
            Error = error,
            CompleteTime = index,
            CompleteIndex = index,
        };
    }

    /// <summary>The operations in invocation order; calls never completed are indeterminate.</summary>
    public IReadOnlyList<Operation> Build() => operations.ToArray();
}
