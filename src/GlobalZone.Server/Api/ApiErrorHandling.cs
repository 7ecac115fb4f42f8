using GlobalZone.Consensus;
using GlobalZone.Contracts;

namespace GlobalZone.Server.Api;

/// <summary>
/// Turns the failures every endpoint shares into problem responses: no leader (503, retry), an outcome that is
/// unknown (504), the witness (421), a body the client sent wrong (400/413), a cap reached (503/429 + Retry-After).
/// Anything else is our bug: 500,
/// logged, never a crash.
/// </summary>
internal sealed partial class ApiErrorHandling(RequestDelegate next, GlobalZoneCluster cluster, ILogger<ApiErrorHandling> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
            // One error shape everywhere: routing's bare 404 (no such endpoint) and 405 (wrong method) too.
            if (!context.Response.HasStarted && context.Response.ContentLength is null && context.Response.ContentType is null)
            {
                if (context.Response.StatusCode == StatusCodes.Status404NotFound)
                    await Problems.WriteAsync(context, StatusCodes.Status404NotFound, ProblemTypes.NotFound, "No such endpoint.",
                        $"{context.Request.Method} {context.Request.Path} is not part of the API; see /v1/openapi.json.");
                else if (context.Response.StatusCode == StatusCodes.Status405MethodNotAllowed)
                    await Problems.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, ProblemTypes.MethodNotAllowed, "Method not allowed.",
                        $"{context.Request.Path} does not take {context.Request.Method}; see /v1/openapi.json.");
            }
        }
        catch (NoLeaderException e)
        {
            context.Response.Headers.RetryAfter = "1";
            await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProblemTypes.NoLeader, "No leader is available.", e.Message, cluster.Leader?.Url);
        }
        catch (ProposalBacklogFullException e)
        {
            context.Response.Headers.RetryAfter = "1";
            await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, "The leader's write backlog is full.", e.Message, cluster.Leader?.Url);
        }
        catch (OutcomeUnknownException e)
        {
            await Problems.WriteAsync(context, StatusCodes.Status504GatewayTimeout, ProblemTypes.OutcomeUnknown, "The write may or may not have been applied.",
                e.Message + " Retry with the same Idempotency-Key to find out safely.", cluster.Leader?.Url);
        }
        catch (WitnessServesNoClientsException e)
        {
            await Problems.WriteAsync(context, StatusCodes.Status421MisdirectedRequest, ProblemTypes.WitnessNoClients, "The witness serves no clients.", e.Message, cluster.Leader?.Url);
        }
        catch (Watching.RevisionCompactedException e)
        {
            await Problems.WriteAsync(context, StatusCodes.Status410Gone, ProblemTypes.RevisionCompacted, "That revision is compacted.", e.Message,
                currentRevision: cluster.State.Revision, oldestRevision: e.OldestRevision);
        }
        catch (Capacity.CapacityExceededException e)
        {
            context.Response.Headers.RetryAfter = e.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Problems.WriteAsync(context, e.Status, e.ProblemType, e.Title, e.Message, cluster.Leader?.Url, cluster.State.Revision);
        }
        catch (BadHttpRequestException e)
        {
            var status = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest;
            await Problems.WriteAsync(context, status, ProblemTypes.BadRequest, "The request is not valid.", e.Message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e)
        {
            LogUnhandled(e, context.Request.Method, context.Request.Path);
            await Problems.WriteAsync(context, StatusCodes.Status500InternalServerError, ProblemTypes.Internal, "Internal error.", "The server failed; see its log.");
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Unhandled failure serving {Method} {Path}")]
    private partial void LogUnhandled(Exception error, string method, string path);
}
