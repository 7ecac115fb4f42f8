using GlobalZone.Consensus;
using GlobalZone.Consensus.Snapshots;
using GlobalZone.Contracts;
using Microsoft.AspNetCore.Http.Features;

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
        long bytes;
        var pacer = stateMachine.SnapshotFiles.SendPacer;
        if (lease.File.Growing is { IsComplete: false } growing)
        {
            bytes = await ServeGrowingAsync(context, growing, pacer);
        }
        else
        {
            // Range handling stays ASP.NET Core's; only the body goes through the pacer (its send-file path copies
            // through the stream given here).
            if (pacer.IsLimited && context.Features.Get<IHttpResponseBodyFeature>() is { } body)
                context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(new PacedWriteStream(body.Stream, pacer), body));
            await Results.File(lease.File.Path, "application/octet-stream", enableRangeProcessing: true).ExecuteAsync(context);
            bytes = lease.File.Size;
        }

        stateMachine.SnapshotPublisher.NoteDemand();
        LogServed(logger, id, bytes, from.Length == 0 ? "whole file" : from, context.Connection.RemoteIpAddress?.ToString() ?? "?",
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, context.RequestAborted.IsCancellationRequested);
    }

    /// <summary>
    /// A file still being written: sent as it grows, without a length (chunked), from the start or from the offset of a
    /// <c>Range: bytes=N-</c> request (206, no Content-Range: the end is not known yet). The receiver learns the end
    /// when the body ends, and the file's trailer vouches for every byte. If the writer fails, the response is cut.
    /// </summary>
    private static async Task<long> ServeGrowingAsync(HttpContext context, GrowingFile growing, TransferPacer pacer)
    {
        var ranges = context.Request.GetTypedHeaders().Range;
        long offset = 0;
        if (ranges is not null)
        {
            if (ranges.Unit != "bytes" || ranges.Ranges.Count != 1 || ranges.Ranges.First() is not { From: { } start, To: null } || start > growing.Length)
            {
                await Problems.WriteAsync(context, StatusCodes.Status416RangeNotSatisfiable, ProblemTypes.BadRequest, "Range not satisfiable.",
                    $"A snapshot file still being written is served from an offset up to its current length ({growing.Length}), as bytes=N-.");
                return 0;
            }

            offset = start;
        }

        context.Response.StatusCode = offset == 0 ? StatusCodes.Status200OK : StatusCodes.Status206PartialContent;
        context.Response.ContentType = "application/octet-stream";
        await using var reader = growing.OpenReader(offset);
        var buffer = new byte[1 << 20];
        long sent = 0;
        int read;
        while ((read = await reader.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            await pacer.PaceAsync(read, context.RequestAborted);
            await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
            sent += read;
        }

        return sent;
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Snapshot file {SnapshotId} ({Bytes} bytes, {Range}) sent to {RemoteAddress} in {ElapsedMs:F0} ms (aborted: {Aborted})")]
    private static partial void LogServed(ILogger logger, string snapshotId, long bytes, string range, string remoteAddress, double elapsedMs, bool aborted);
}
