using System.Globalization;
using GlobalZone.Contracts;
using GlobalZone.Server.Api.OpenApi;
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
            var what = kind == LockKind.Semaphore ? "semaphore" : "reader-writer lock";
            var post = group.MapPost("/{**name}", EndpointDocs.Handler(context => AcquireAsync(context, kind))).RequireWrite(KeyScope.LockName)
                .Doc("Locks", kind == LockKind.Semaphore
                    ? "Acquire one of a semaphore's permits for a lease: up to limit holders at once, granted first-in first-out. Every grant has its own fencing token. One namespace with locks; release and inspect as /v1/locks."
                    : "Acquire a reader-writer lock for a lease: any number of readers, or one writer, first-in first-out (a waiting writer holds back later readers). Every grant has its own fencing token. One namespace with locks; release and inspect as /v1/locks.")
                .Path("name", $"The {what}'s name (same rules as keys).");
            post = kind == LockKind.Semaphore
                ? post.Query("limit", $"How many leases may hold it at once, 1 to {MaxSemaphoreLimit}; every holder names the same limit.", "integer", required: true)
                : post.Query("mode", "read or write.", required: true);
            post.Body<LockAcquireRequest>()
                .ClientErrors()
                .WriteErrors()
                .Answers<LockGrant>(200, "Granted (or already held by this lease in this mode).")
                .Fails(404, "The lease does not exist.")
                .Fails(409, "Not granted (lock-held, after waiting if asked); the name is another kind of lock or a semaphore of another limit, or the lease holds it in another mode (lock-kind-conflict); or replay-superseded.")
                .Fails(429, "Waiting would exceed the lock waiter caps (too-many-lock-waiters); retry after Retry-After.");
            group.MapDelete("/{**name}", EndpointDocs.Handler(context => ReleaseAsync(context))).RequireWrite(KeyScope.LockName)
                .Doc("Locks", $"Release a {what} grant (or leave its queue), as DELETE /v1/locks/{{name}}.")
                .Path("name", $"The {what}'s name.")
                .Query("lease", "The holding (or waiting) lease.", "integer")
                .Query("token", "The fencing token of the grant.", "integer")
                .ClientErrors()
                .WriteErrors()
                .Answers<LockInfo>(200, "The lock after the release.")
                .Fails(404, "Neither held nor awaited.")
                .Fails(409, "Held by another lease or grant.");
            group.MapGet("/{**name}", EndpointDocs.Handler(context => GetAsync(context))).RequireRead(KeyScope.LockName)
                .Doc("Locks", $"Inspect a {what}: kind, limit, holders and waiters in order.")
                .Path("name", $"The {what}'s name.")
                .Query("consistency", "linearizable (default) or stale.")
                .ClientErrors()
                .Answers<LockInfo>(200, "OK");
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
