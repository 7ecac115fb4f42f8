using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// Once this member's applier stopped on a storage fault (<see cref="ApplyHealth"/>), every client request except the
/// member's own status (<c>/v1/cluster</c>, <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>) gets 503
/// <c>member-faulted</c>: its state may hold part of a command and no longer follows the group, so it must not answer
/// reads, and clients should go to another member. Member-to-member traffic goes on (it still votes).
/// </summary>
internal static class ApplyFaultGuard
{
    public static IApplicationBuilder UseApplyFaultGuard(this IApplicationBuilder app)
    {
        var health = app.ApplicationServices.GetRequiredService<ApplyHealth>();
        return app.Use(async (context, next) =>
        {
            if (health.Fault is not { } fault || MemberOwnRoutes.IsStillServed(context.Request.Path))
            {
                await next(context);
                return;
            }

            context.Response.Headers.RetryAfter = "1";
            await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProblemTypes.MemberFaulted,
                "This member stopped applying after a storage fault.",
                $"Entry {fault.Index} could not be applied ({fault.Reason}); this member serves nothing until it is restarted on a mended disk. Use another member.");
        });
    }
}
