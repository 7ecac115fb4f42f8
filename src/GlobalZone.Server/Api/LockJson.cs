using System.Globalization;
using GlobalZone.Contracts;
using GlobalZone.StateMachine;

namespace GlobalZone.Server.Api;

/// <summary>Locks of the state machine as wire types.</summary>
internal static class LockJson
{
    public static LockGrant Grant(string name, LockHolder holder) => new()
    {
        Name = name,
        Lease = holder.Lease,
        FencingToken = holder.FencingToken,
        Owner = holder.Owner.Length == 0 ? null : holder.Owner,
        Mode = Mode(holder.Mode),
        Fence = name + ":" + holder.FencingToken.ToString(CultureInfo.InvariantCulture),
    };

    public static LockInfo? Info(LockRecord? record) => record is null ? null : new LockInfo
    {
        Name = record.Name,
        Kind = record.Kind switch
        {
            LockKind.ReaderWriter => LockWireNames.ReaderWriterKind,
            LockKind.Semaphore => LockWireNames.SemaphoreKind,
            _ => null,
        },
        Limit = record.Kind == LockKind.Semaphore ? record.Limit : null,
        Holder = record.Holder is { } holder ? Grant(record.Name, holder) : null,
        Holders = record.Kind == LockKind.Exclusive ? null : record.Holders.Select(h => Grant(record.Name, h)).ToList(),
        Waiters = record.ForAnswer().Waiters.Select(w => new LockWaiterInfo { Lease = w.Lease, Owner = w.Owner.Length == 0 ? null : w.Owner, Mode = Mode(w.Mode) }).ToList(),
        WaiterCount = record.WaiterCount,
    };

    public static LockInfo Free(string name) => new() { Name = name, Waiters = [] };

    private static string? Mode(LockMode mode) => mode switch
    {
        LockMode.Read => LockWireNames.Read,
        LockMode.Write => LockWireNames.Write,
        LockMode.Permit => LockWireNames.Permit,
        _ => null,
    };
}
