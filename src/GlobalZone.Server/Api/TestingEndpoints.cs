using System.Text.Json;
using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Contracts.Testing;

namespace GlobalZone.Server.Api;

/// <summary>
/// TEST-ONLY: <c>/internal/v1/testing/failpoints</c> (see <see cref="PeerFailpoints"/>). It serves only on a member
/// started with <c>GlobalZone:Testing:EnablePeerFailpoints=true</c>; anywhere else it answers 404 and touches nothing.
/// Also where a member warns, once at start, that any <c>GlobalZone:Testing:*</c> switch is set.
/// </summary>
internal static partial class TestingEndpoints
{
    public static void MapTestingApi(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<NodeOptions>();
        if (options.Testing.AnySet)
            LogTestingSwitches(app.Logger, string.Join(", ", options.Testing.SetSwitches()));
        app.MapGet(PeerFailpointRoutes.Failpoints, (HttpContext context) => WithFailpointsAsync(context, (failpoints, _) => WriteStateAsync(context, failpoints)));
        app.MapDelete(PeerFailpointRoutes.Failpoints, (HttpContext context) => WithFailpointsAsync(context, (failpoints, _) =>
        {
            failpoints.DisarmAll();
            return WriteStateAsync(context, failpoints);
        }));
        app.MapPost(PeerFailpointRoutes.Failpoints, (HttpContext context) => WithFailpointsAsync(context, async (failpoints, _) =>
        {
            var request = await RequestJson.ReadAsync(context, PeerFailpointJsonContext.Default.PeerFailpointRequest, 4 << 10);
            if (request is null)
                return;
            try
            {
                failpoints.Arm(request);
            }
            catch (ArgumentException e)
            {
                await Problems.BadRequest(context, ProblemTypes.BadRequest, e.Message);
                return;
            }

            await WriteStateAsync(context, failpoints);
        }));
    }

    private static Task WithFailpointsAsync(HttpContext context, Func<PeerFailpoints, HttpContext, Task> handle)
        => context.RequestServices.GetService<PeerFailpoints>() is { } failpoints
            ? handle(failpoints, context)
            : Problems.WriteAsync(context, StatusCodes.Status404NotFound, ProblemTypes.BadRequest, "Failpoints are off on this member.",
                "Peer failpoints are TEST-ONLY and need GlobalZone:Testing:EnablePeerFailpoints=true at start.");

    private static Task WriteStateAsync(HttpContext context, PeerFailpoints failpoints)
    {
        var state = new PeerFailpointState
        {
            MemberId = context.RequestServices.GetRequiredService<NodeOptions>().MemberId,
            Failpoints = failpoints.Current(),
        };
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, state, PeerFailpointJsonContext.Default.PeerFailpointState, context.RequestAborted);
    }

    [LoggerMessage(EventId = 2301, Level = LogLevel.Warning, Message = "TEST-ONLY switches are set (GlobalZone:Testing:*): {Switches}. This member is deliberately made worse; never run it in production")]
    private static partial void LogTestingSwitches(ILogger logger, string switches);
}
