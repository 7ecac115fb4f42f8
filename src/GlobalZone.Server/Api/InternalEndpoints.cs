using GlobalZone.Consensus;

namespace GlobalZone.Server.Api;

/// <summary>
/// Member-to-member endpoints: the leader's side of forwarded writes. Always 200 once the handler ran; each reply
/// says what happened to its command (see <see cref="GlobalZoneCluster.AcceptForwardedBatchAsync"/>).
/// </summary>
internal static class InternalEndpoints
{
    public static void MapInternalApi(this IEndpointRouteBuilder app)
        => app.MapPost(InternalRoutes.ProposeBatch, (HttpContext context) => ProposeBatchAsync(context));

    private static async Task ProposeBatchAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        var options = context.RequestServices.GetRequiredService<NodeOptions>();
        // The forwarding member caps a batch at about 1 MiB of commands, or one command (one value plus framing).
        var payload = await RequestBody.ReadLimitedAsync(context, Math.Max(options.MaxValueBytes, 1 << 20) + (2 << 20));
        if (payload is null)
            return;
        var reply = await cluster.AcceptForwardedBatchAsync(payload, context.RequestAborted);
        if (reply is null)
        {
            await Problems.BadRequest(context, Contracts.ProblemTypes.BadRequest, "Not a batch of forwarded commands.");
            return;
        }

        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = reply.Length;
        await context.Response.Body.WriteAsync(reply, context.RequestAborted);
    }
}
