namespace GlobalZone.Jepsen.Checker.Tests;

/// <summary>
/// Builds small histories by hand: each call gets explicit invoke and completion times, so a test reads like a
/// timeline. A null completion time means the call never completed (indeterminate).
/// </summary>
internal sealed class TestHistory
{
    private readonly List<Operation> operations = [];

    public IReadOnlyList<Operation> Operations => operations;

    public TestHistory Read(int process, string? output, long invoke, long complete, string key = "x", OperationStatus status = OperationStatus.Ok) =>
        Add(process, OperationKind.Read, key, null, null, output, invoke, complete, status);

    public TestHistory Write(int process, string? value, long invoke, long? complete, string key = "x", OperationStatus status = OperationStatus.Ok) =>
        Add(process, OperationKind.Write, key, value, null, null, invoke, complete, complete is null ? OperationStatus.Info : status);

    public TestHistory Cas(int process, string? expected, string? value, long invoke, long? complete, OperationStatus status = OperationStatus.Ok, string key = "x") =>
        Add(process, OperationKind.CompareAndSet, key, value, expected, null, invoke, complete, complete is null ? OperationStatus.Info : status);

    public TestHistory Append(int process, string value, long invoke, long? complete, string key = "x") =>
        Add(process, OperationKind.Append, key, value, null, null, invoke, complete, complete is null ? OperationStatus.Info : OperationStatus.Ok);

    private TestHistory Add(int process, OperationKind kind, string key, string? input, string? expected, string? output, long invoke, long? complete, OperationStatus status)
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
            InvokeTime = invoke,
            InvokeIndex = operations.Count,
            CompleteTime = complete,
            CompleteIndex = complete is null ? null : operations.Count,
        });
        return this;
    }
}
