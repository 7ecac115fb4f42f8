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
        Fence = name + ":" + holder.FencingToken.ToString(CultureInfo.InvariantCulture),
    };

    public static LockInfo? Info(LockRecord? record) => record is null ? null : new LockInfo
    {
        Name = record.Name,
        Holder = record.Holder is { } holder ? Grant(record.Name, holder) : null,
        Waiters = record.ForAnswer().Waiters.Select(w => new LockWaiterInfo { Lease = w.Lease, Owner = w.Owner.Length == 0 ? null : w.Owner }).ToList(),
        WaiterCount = record.WaiterCount,
    };

    public static LockInfo Free(string name) => new() { Name = name, Waiters = [] };
}
