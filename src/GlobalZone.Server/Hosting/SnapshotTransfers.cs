using DotNext.Net.Cluster.Consensus.Raft.Http;
using GlobalZone.Consensus;
using GlobalZone.Consensus.Snapshots;
using GlobalZone.Server.Api;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// Host wiring for out-of-band snapshots: the file route, the member-to-member client the receiver downloads with,
/// and the answer to an InstallSnapshot call whose snapshot is not installed yet.
/// </summary>
internal static class SnapshotTransfers
{
    /// <summary>
    /// Put before DotNext's protocol handler: <see cref="SnapshotPendingException"/> (thrown through DotNext from the
    /// state machine) becomes a plain 503, which the leader's DotNext treats as one failed call and retries at the next
    /// heartbeat. Without this ASP.NET logs every retry as an unhandled error with a stack trace.
    /// </summary>
    public static IApplicationBuilder UseSnapshotPendingAnswer(this IApplicationBuilder app)
        => app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (SnapshotPendingException e) when (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync(e.Message, context.RequestAborted);
            }
        });

    public static void MapSnapshotTransfers(this WebApplication app)
    {
        var factory = app.Services.GetRequiredService<IHttpClientFactory>();
        app.Services.GetRequiredService<RaftStateMachine>().SnapshotReceiver.PeerClient = () => factory.CreateClient(PeerConnections.ClientName);
        app.MapSnapshotTransferApi();
    }
}
