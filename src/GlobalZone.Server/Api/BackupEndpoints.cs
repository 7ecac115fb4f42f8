using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api.OpenApi;
using GlobalZone.Server.Auth;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>GET /v1/backup</c>: the whole state at one revision, taken from a running member without stopping anything.
/// The member first makes its state linearizably fresh (read index), then dumps it to a local file without holding
/// applies off (a scan plus the writes made meanwhile; see <c>KeyValueStateMachine.DumpState</c>, the same dump
/// snapshot files use), hashes it, and sends header + body (see <see cref="BackupFormat"/>).
/// </summary>
internal static partial class BackupEndpoints
{
    // One dump at a time per member: each costs a copy of the state on disk and a scan of the store.
    private static readonly SemaphoreSlim OneAtATime = new(1, 1);

    public static void MapBackupApi(this IEndpointRouteBuilder app)
        => app.MapGet("/v1/backup", EndpointDocs.Handler(context => BackupAsync(context))).RequireAdmin()
            .Doc("Cluster", "The whole state at one revision (admin): the member makes its state linearizably fresh, dumps it without holding applies off, hashes it, and streams header + body (gz backup save / verify / restore read it). One dump at a time per member.")
            .Answers(200, "a GlobalZone backup stream (format version and SHA-256 in its header)", "application/octet-stream")
            .Fails(503, "unavailable: no leader to confirm the read index, or another dump is running")
            .Fails(403, "permission-denied: the token's user lacks the root role");

    private static async Task BackupAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        var options = context.RequestServices.GetRequiredService<NodeOptions>();
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(BackupEndpoints));
        var token = context.RequestAborted;

        if (!await OneAtATime.WaitAsync(TimeSpan.Zero, token))
        {
            context.Response.Headers.RetryAfter = "5";
            await Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests, ProblemTypes.Unavailable, "A backup is already running on this member.",
                "Wait for it to finish, or ask another member.");
            return;
        }

        var scratch = options.Layout.BackupScratch;
        Directory.CreateDirectory(scratch);
        var path = Path.Combine(scratch, $"backup-{Guid.NewGuid():N}.tmp");
        try
        {
            // Everything committed before the request is in the dump.
            await cluster.EnsureLinearizableAsync(token);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await Task.Run(() =>
            {
                using var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
                cluster.State.DumpState(file, token);
                file.Flush(flushToDisk: false);
            }, token);

            await using var body = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.DeleteOnClose);
            var (raftIndex, revision) = ReadStreamLabel(body);
            body.Position = 0;
            var sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(body, token));
            body.Position = 0;
            var header = BackupFormat.EncodeHeader(new BackupHeader
            {
                ClusterName = cluster.ClusterName,
                MemberId = cluster.Directory.Self.Id,
                Revision = revision,
                RaftIndex = raftIndex,
                CreatedAt = DateTimeOffset.UtcNow,
                BodyLength = body.Length,
                BodySha256 = sha,
            });

            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = BackupFormat.MediaType;
            response.ContentLength = header.Length + body.Length;
            response.Headers[HeaderNames.Revision] = revision.ToString(CultureInfo.InvariantCulture);
            response.Headers[HeaderNames.Member] = cluster.Directory.Self.Id;
            response.Headers.ContentDisposition = $"attachment; filename=\"{cluster.ClusterName}-rev{revision}.gzbackup\"";
            await response.Body.WriteAsync(header, token);
            await body.CopyToAsync(response.Body, 1 << 16, token);
            LogBackupServed(logger, revision, raftIndex, body.Length, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        finally
        {
            OneAtATime.Release();
            if (File.Exists(path))
                File.Delete(path);
        }
    }

    /// <summary>The index and revision a snapshot stream starts with (<c>GZS2 [index][term][revision]</c>).</summary>
    private static (long Index, long Revision) ReadStreamLabel(Stream stream)
    {
        Span<byte> label = stackalloc byte[28];
        stream.ReadExactly(label);
        return (BinaryPrimitives.ReadInt64LittleEndian(label[4..]), BinaryPrimitives.ReadInt64LittleEndian(label[20..]));
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Backup served at revision {Revision} (index {Index}), {Bytes} bytes, took {ElapsedMs:F1} ms")]
    private static partial void LogBackupServed(ILogger logger, long revision, long index, long bytes, double elapsedMs);
}
