using GlobalZone.Consensus;
using GlobalZone.Consensus.Snapshots;
using GlobalZone.Contracts;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>GET /internal/v1/snapshots/{id}</c>: a snapshot file for a member that a descriptor sent there (see
/// <see cref="SnapshotReceiver"/>). Streamed from disk with Range support, so an interrupted transfer resumes; behind
/// the cluster-name check like every <c>/internal</c> route, and not bounded by the client request limits (it has no
/// request body).
/// </summary>
internal static partial class SnapshotEndpoints
{
    public static void MapSnapshotTransferApi(this IEndpointRouteBuilder app)
        => app.MapGet(InternalRoutes.Snapshots + "/{id}", (HttpContext context, string id) => ServeAsync(context, id));

    private static async Task ServeAsync(HttpContext context, string id)
    {
        if (!SnapshotFile.IsValidId(id))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, "Not a snapshot id.");
            return;
        }

        var stateMachine = context.RequestServices.GetRequiredService<RaftStateMachine>();
        using var lease = stateMachine.SnapshotFiles.TryOpen(id);
        if (lease is null)
        {
            await Problems.WriteAsync(context, StatusCodes.Status404NotFound, ProblemTypes.NotFound, "No such snapshot file.",
                $"Snapshot {id} is not (or no longer) served here; the leader's next InstallSnapshot call names the current one.");
            return;
        }

        // A member reading the file keeps the snapshot (and the log after it) in place, as its descriptor requests do.
        stateMachine.SnapshotPublisher.NoteDemand();
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SnapshotEndpoints));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var from = context.Request.Headers.Range.ToString();
        await Results.File(lease.File.Path, "application/octet-stream", enableRangeProcessing: true).ExecuteAsync(context);
        stateMachine.SnapshotPublisher.NoteDemand();
        LogServed(logger, id, lease.File.Size, from.Length == 0 ? "whole file" : from, context.Connection.RemoteIpAddress?.ToString() ?? "?",
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, context.RequestAborted.IsCancellationRequested);
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Snapshot file {SnapshotId} ({Bytes} bytes, {Range}) sent to {RemoteAddress} in {ElapsedMs:F0} ms (aborted: {Aborted})")]
    private static partial void LogServed(ILogger logger, string snapshotId, long bytes, string range, string remoteAddress, double elapsedMs, bool aborted);
}
