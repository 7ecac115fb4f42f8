using System.Globalization;
using GlobalZone.Contracts;
using GlobalZone.Server.Auth;
using GlobalZone.StateMachine;

namespace GlobalZone.Server.Api;

// /v1/rwlocks/{name}?mode=read|write and /v1/semaphores/{name}?limit=N: the lock's handlers with a mode. The kinds
// share the lock namespace (a name is one kind until nobody holds or awaits it), the queue, the waiter caps, the
// fencing counter and the release and inspect semantics, so DELETE and GET are the lock's own.
internal static partial class LockEndpoints
{
    /// <summary>Largest semaphore: its grants live in one record, rewritten on every change.</summary>
    public const int MaxSemaphoreLimit = 1000;

    private static void MapSharedLockApi(IEndpointRouteBuilder app)
    {
        foreach (var (prefix, kind) in new[] { ("/v1/rwlocks", LockKind.ReaderWriter), ("/v1/semaphores", LockKind.Semaphore) })
        {
            var group = app.MapGroup(prefix);
            group.MapPost("/{**name}", (HttpContext context) => AcquireAsync(context, kind)).RequireWrite(KeyScope.LockName);
            group.MapDelete("/{**name}", (HttpContext context) => ReleaseAsync(context)).RequireWrite(KeyScope.LockName);
            group.MapGet("/{**name}", (HttpContext context) => GetAsync(context)).RequireRead(KeyScope.LockName);
        }
    }

    /// <summary>The mode and limit a route asks for; null after writing a 400 when the query is wrong.</summary>
    private static async Task<LockShape?> ReadShapeAsync(HttpContext context, LockKind kind)
    {
        var query = context.Request.Query;
        switch (kind)
        {
            case LockKind.ReaderWriter:
                switch (query["mode"].ToString())
                {
                    case LockWireNames.Read:
                        return new LockShape(LockMode.Read, 0);
                    case LockWireNames.Write:
                        return new LockShape(LockMode.Write, 0);
                    default:
                        await Problems.BadRequest(context, ProblemTypes.BadRequest, "mode must be 'read' or 'write' (?mode=read).");
                        return null;
                }

            case LockKind.Semaphore:
                if (!int.TryParse(query["limit"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit < 1 || limit > MaxSemaphoreLimit)
                {
                    await Problems.BadRequest(context, ProblemTypes.BadRequest,
                        $"limit must be how many leases may hold the semaphore at once, 1 to {MaxSemaphoreLimit} (?limit=3); every holder names the same limit.");
                    return null;
                }

                return new LockShape(LockMode.Permit, limit);
            default:
                return new LockShape(LockMode.Exclusive, 0);
        }
    }

    private sealed record LockShape(LockMode Mode, int Limit);
}
