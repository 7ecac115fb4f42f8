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

    /// <summary>
    /// TEST-ONLY, on the Raft route: carries out <see cref="PeerFailpointActions.CrashAfterAcknowledgingEntries"/>. Added
    /// only on a member whose failpoints are on; DotNext's handler runs unchanged inside it.
    /// </summary>
    public static IApplicationBuilder UseTestingFailpoints(this IApplicationBuilder app)
    {
        if (app.ApplicationServices.GetService<PeerFailpoints>() is not { } failpoints)
            return app;
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TestingEndpoints).FullName!);
        return app.Use(async (context, next) =>
        {
            if (!failpoints.CrashAfterAcknowledgingEntries || !TryGetAppendedRange(context.Request, out var lastAppended))
            {
                await next(context);
                return;
            }

            await next(context);
            // DotNext answers the last index it holds: equal to the request's last entry only if it appended them all.
            if (context.Response.StatusCode == StatusCodes.Status200OK
                && long.TryParse(context.Response.Headers["X-Raft-Last-Index"].ToString(), out var lastIndex) && lastIndex == lastAppended)
            {
                // The acknowledgement is handed to the connection first, then the process dies with no grace at all:
                // nothing after the acknowledgement gets a chance to make the entries durable. (The acknowledgement
                // itself may not get out whole; then the leader does not count it and the write is not acknowledged.)
                await context.Response.CompleteAsync();
                LogCrashing(logger, lastAppended);
                System.Diagnostics.Process.GetCurrentProcess().Kill();
            }
        });
    }

    /// <summary>An AppendEntries request that carries entries, and the index of its last entry.</summary>
    private static bool TryGetAppendedRange(HttpRequest request, out long lastAppended)
    {
        lastAppended = 0;
        return request.Headers[PeerFailpoints.MessageTypeHeader] == PeerFailpoints.AppendEntriesMessageType
               && long.TryParse(request.Headers["X-Raft-Entries-Count"].ToString(), out var count) && count > 0
               && long.TryParse(request.Headers["X-Raft-Preceding-Record-Index"].ToString(), out var preceding)
               && (lastAppended = preceding + count) > 0;
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

    [LoggerMessage(EventId = 2302, Level = LogLevel.Warning, Message = "TEST-ONLY failpoint: acknowledged entries up to {LastIndex}; killing this process now (SIGKILL)")]
    private static partial void LogCrashing(ILogger logger, long lastIndex);

    [LoggerMessage(EventId = 2301, Level = LogLevel.Warning, Message = "TEST-ONLY switches are set (GlobalZone:Testing:*): {Switches}. This member is deliberately made worse; never run it in production")]
    private static partial void LogTestingSwitches(ILogger logger, string switches);
}
