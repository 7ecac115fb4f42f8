using System.Text.Json;
using GlobalZone.Jepsen.Traffic;

namespace GlobalZone.Jepsen.Tests.Validate;

/// <summary>
/// How the lock-like checkers' tests record a hold: one write whose output is the workload's record, serialized as
/// <see cref="LeasedLockWorkload"/> writes it, so the tests feed the checkers exactly the format the runs produce.
/// </summary>
internal static class HoldRecords
{
    public static void Add<TRecord>(List<Operation> history, int process, string key, TRecord record, OperationStatus status, long invoke, long complete) =>
        history.Add(new Operation
        {
            Process = process,
            Kind = OperationKind.Write,
            Key = key,
            Output = JsonSerializer.Serialize(record, LeasedLockWorkload.OutputJson),
            Status = status,
            InvokeTime = invoke,
            InvokeIndex = history.Count,
            CompleteTime = complete,
            CompleteIndex = history.Count,
        });
}
