namespace GlobalZone.Jepsen.Tests;

/// <summary>
/// Builds histories by hand, each call with explicit invoke and completion times (a null completion = never
/// completed), so a test reads like a timeline.
/// </summary>
internal sealed class Histories
{
    private readonly List<Operation> operations = [];

    public IReadOnlyList<Operation> Operations => operations;

    public Histories Read(int process, string key, string? output, long invoke, long complete, OperationStatus status = OperationStatus.Ok, string? error = null, string? input = null) =>
        Add(process, OperationKind.Read, key, input, null, output, invoke, complete, status, error);

    public Histories Write(int process, string key, string value, long invoke, long? complete, OperationStatus status = OperationStatus.Ok, string? error = null) =>
        Add(process, OperationKind.Write, key, value, null, null, invoke, complete, complete is null ? OperationStatus.Info : status, error);

    public Histories Cas(int process, string key, string? expected, string value, long invoke, long? complete, OperationStatus status, string? error = null) =>
        Add(process, OperationKind.CompareAndSet, key, value, expected, null, invoke, complete, complete is null ? OperationStatus.Info : status, error);

    private Histories Add(int process, OperationKind kind, string key, string? input, string? expected, string? output, long invoke, long? complete, OperationStatus status, string? error)
    {
        operations.Add(new Operation
        {
            Process = process,
            Kind = kind,
            Key = key,
            Input = input,
            Expected = expected,
            Output = output,
            Status = status,
            Error = error,
            InvokeTime = invoke,
            InvokeIndex = operations.Count,
            CompleteTime = complete,
            CompleteIndex = complete is null ? null : operations.Count,
        });
        return this;
    }
}
