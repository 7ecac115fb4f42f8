using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// While this member is stopping (<see cref="MemberDrain"/>), every client request except the member's own status
/// gets 503 <c>member-stopping</c> with <c>Retry-After: 0</c> and <c>Connection: close</c>: the client asks another
/// member at once. Requests already running finish (a leader handing over still commits them). Member-to-member
/// traffic goes on: a leader handing over needs its peers, and followers' forwarded writes and read-index requests
/// are answered until the Raft member stops.
/// </summary>
internal static class StoppingMemberGuard
{
    public static IApplicationBuilder UseStoppingMemberGuard(this IApplicationBuilder app)
    {
        var drain = app.ApplicationServices.GetRequiredService<MemberDrain>();
        var testing = app.ApplicationServices.GetRequiredService<NodeOptions>().Testing;
        return app.Use(async (context, next) =>
        {
            if (!drain.IsDraining || testing.ServeWhileStopping || MemberOwnRoutes.IsStillServed(context.Request.Path))
            {
                await next(context);
                return;
            }

            context.Response.Headers.RetryAfter = "0";
            context.Response.Headers.Connection = "close";
            await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProblemTypes.MemberStopping,
                "This member is stopping.",
                "This member received a stop signal and serves no more client requests; use another member.");
        });
    }
}
