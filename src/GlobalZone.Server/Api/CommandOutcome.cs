using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.StateMachine;

namespace GlobalZone.Server.Api;

/// <summary>
/// The outcomes every write shares, as HTTP: a replayed idempotent outcome is marked, and a command that changed
/// nothing because of the state (fenced, unknown lease or lock, conflict, reused key) becomes its problem answer.
/// </summary>
internal static class CommandOutcome
{
    /// <summary>
    /// Stamps the common headers; writes the problem and returns true when the command was not applied.
    /// <paramref name="notFoundType"/> names what a not-found outcome is about (a lease or a lock), and
    /// <paramref name="conflictType"/> what a conflict is, when the caller knows better than the default.
    /// </summary>
    public static async Task<bool> TryWriteRefusalAsync(HttpContext context, GlobalZoneCluster cluster, CommandResult result, string notFoundType = ProblemTypes.LeaseNotFound,
        string? conflictType = null)
    {
        ReadConsistency.StampHeaders(context, cluster);
        if (result.Replayed)
            context.Response.Headers[HeaderNames.IdempotentReplayed] = "true";
        var detail = result.Error ?? "The command was refused.";
        switch (result.Status)
        {
            case CommandStatus.Applied:
                return false;
            case CommandStatus.Fenced:
                await Problems.WriteAsync(context, StatusCodes.Status409Conflict, ProblemTypes.FencingTokenRejected, "The fencing token is not the current grant.", detail,
                    currentRevision: result.Revision, lockInfo: LockJson.Info(result.Lock));
                return true;
            case CommandStatus.NotFound:
                await Problems.WriteAsync(context, StatusCodes.Status404NotFound, notFoundType,
                    notFoundType == ProblemTypes.LockNotFound ? "No such lock." : "No such lease.", detail, currentRevision: result.Revision);
                return true;
            case CommandStatus.Conflict:
                await Problems.WriteAsync(context, StatusCodes.Status409Conflict,
                    conflictType ?? (result.Lock is not null ? ProblemTypes.LockNotHeld : ProblemTypes.LeaseExists), "The request conflicts with the current state.", detail,
                    currentRevision: result.Revision, lockInfo: LockJson.Info(result.Lock));
                return true;
            case CommandStatus.LimitReached:
                // A cluster-wide quota: nothing was applied, so a retry later is safe; leases or waiters free up.
                context.Response.Headers.RetryAfter = context.RequestServices.GetRequiredService<NodeOptions>().Limits.RetryAfterSeconds
                    .ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests,
                    result.Lock is not null ? ProblemTypes.TooManyLockWaiters : ProblemTypes.TooManyLeases, "A cluster-wide limit was reached.", detail,
                    currentRevision: result.Revision, lockInfo: LockJson.Info(result.Lock));
                return true;
            case CommandStatus.Superseded:
                await Problems.WriteAsync(context, StatusCodes.Status409Conflict, ProblemTypes.ReplaySuperseded,
                    "The first outcome of this Idempotency-Key is no longer true.", detail,
                    currentRevision: result.Revision, lockInfo: LockJson.Info(result.Lock));
                return true;
            case CommandStatus.IdempotencyKeyReused:
                await Problems.WriteAsync(context, StatusCodes.Status422UnprocessableEntity, ProblemTypes.IdempotencyKeyReused, "Idempotency-Key reused.", detail);
                return true;
            default:
                await Problems.BadRequest(context, ProblemTypes.BadRequest, detail);
                return true;
        }
    }
}
