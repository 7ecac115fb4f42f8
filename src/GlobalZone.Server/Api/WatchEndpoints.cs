using System.Globalization;
using System.Text.Json;
using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Auth;
using GlobalZone.Server.Watching;
using GlobalZone.StateMachine;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>GET /v1/watch?key=K</c> or <c>?prefix=P</c>: Server-Sent Events, one <c>revision</c> event per revision with
/// every matching change of it (a transaction is never split), in revision order, none skipped. Each event's
/// <c>id</c> is its revision, so an EventSource that reconnects (<c>Last-Event-ID</c>) resumes right after the last
/// one it saw; <c>?fromRevision=N</c> starts anywhere still in the history (410 when compacted). <c>progress</c>
/// events say how far the watch has looked when nothing matched. Served by any member, followers included.
/// </summary>
internal static class WatchEndpoints
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);
    private const int BatchRevisions = 512;

    public static void MapWatchApi(this IEndpointRouteBuilder app)
    {
        _ = app.ServiceProvider.GetRequiredService<RevisionFeed>();
        // Read on the whole watched key or prefix, so every change it can deliver is one the caller may read.
        app.MapGet("/v1/watch", (HttpContext context) => WatchAsync(context)).RequireRead(WatchScope);
    }

    private static readonly KeyScope WatchScope = new(context =>
    {
        var query = context.Request.Query;
        var hasKey = query.TryGetValue("key", out var key);
        var hasPrefix = query.TryGetValue("prefix", out var prefix);
        return hasKey == hasPrefix ? null : hasKey ? key.ToString() : prefix.ToString();
    });

    private static async Task WatchAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        var feed = context.RequestServices.GetRequiredService<RevisionFeed>();
        if (cluster.Directory.Self.IsWitness)
            throw new WitnessServesNoClientsException();
        var query = context.Request.Query;
        var hasKey = query.TryGetValue("key", out var keyText);
        var hasPrefix = query.TryGetValue("prefix", out var prefixText);
        if (hasKey == hasPrefix)
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, "Give exactly one of ?key= (one key) or ?prefix= (every key under it; empty for all).");
            return;
        }

        var filter = new KeyFilter(hasKey ? keyText.ToString() : prefixText.ToString(), hasPrefix);
        if ((hasKey || filter.Value.Length > 0) && KeyValidation.Problem(filter.Value) is { } keyProblem)
        {
            await Problems.BadRequest(context, ProblemTypes.InvalidKey, keyProblem);
            return;
        }

        long from;
        if (context.Request.Headers.TryGetValue("Last-Event-ID", out var lastEventId) && lastEventId.ToString().Length > 0)
        {
            if (!long.TryParse(lastEventId.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var seen))
            {
                await Problems.BadRequest(context, ProblemTypes.BadRequest, "Last-Event-ID must be a revision this watch sent.");
                return;
            }

            from = seen + 1;
        }
        else if (query.TryGetValue("fromRevision", out var fromText))
        {
            if (!long.TryParse(fromText, NumberStyles.None, CultureInfo.InvariantCulture, out from) || from < 1)
            {
                await Problems.BadRequest(context, ProblemTypes.BadRequest, "fromRevision must be a revision (a whole number from 1).");
                return;
            }
        }
        else
        {
            from = feed.LatestRevision + 1;
        }

        if (from <= feed.LatestRevision && from < feed.OldestRevision)
        {
            await CompactedAsync(context, cluster, from, feed.OldestRevision);
            return;
        }

        // One place per open stream, held until it ends: past the cap, 503 before any byte of the stream.
        using var place = context.RequestServices.GetRequiredService<Capacity.MemberCapacity>().TakeWatch();
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        ReadConsistency.StampHeaders(context, cluster);
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();

        // A stream lives no longer than the token that opened it: at its expiry the stream ends with an error event,
        // and a client resumes from its last revision with a new token (a revoked or expired credential must not keep
        // receiving changes). Per-change permission checks below cover role changes meanwhile.
        var time = context.RequestServices.GetRequiredService<TimeProvider>();
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var tokenExpiry = Auth.BearerAuthenticationHandler.TokenExpiry(context.User);
        using var expiry = tokenExpiry is { } expiresAt
            ? time.CreateTimer(static state => ((CancellationTokenSource)state!).Cancel(), lifetime, Positive(expiresAt - time.GetUtcNow()), Timeout.InfiniteTimeSpan)
            : null;
        var token = lifetime.Token;
        var next = from;
        await WriteProgressAsync(response, next - 1, token);
        try
        {
            while (!token.IsCancellationRequested)
            {
                var batch = await feed.ReadAsync(next, BatchRevisions, token);
                foreach (var (revision, events) in batch)
                {
                    // Checked per change against the roles as they are now, not only when the stream opened: a read
                    // permission revoked (or a user deleted) mid-stream stops deliveries at once.
                    var matching = events.Where(e => filter.Matches(e.Record.Key) && KeyPermissions.Allows(context, e.Record.Key, StateMachine.Auth.KeyAccess.Read)).ToList();
                    if (matching.Count > 0)
                        await WriteRevisionAsync(response, revision, matching, token);
                    next = revision + 1;
                }

                if (batch.Count > 0)
                {
                    await response.Body.FlushAsync(token);
                    continue;
                }

                // Wakes only for a revision this watch matches (or to send progress): idle watches cost no work per write.
                var (matched, readFrom) = await feed.WaitForMatchAsync(filter, next - 1, ProgressInterval, token);
                next = Math.Max(next, readFrom);
                if (!matched)
                    await WriteProgressAsync(response, next - 1, token);
            }
        }
        catch (RevisionCompactedException e)
        {
            // Only a snapshot install on this member can do this mid-stream; the client resumes elsewhere or later.
            await WriteEventAsync(response, "error", null, JsonSerializer.SerializeToUtf8Bytes(
                new ProblemDetailsBody
                {
                    Type = ProblemTypes.RevisionCompacted, Title = "The watch fell behind the history.", Status = StatusCodes.Status410Gone,
                    Detail = e.Message, OldestRevision = e.OldestRevision,
                }, ContractsJsonContext.Default.ProblemDetailsBody), token);
        }
        catch (OperationCanceledException) when (tokenExpiry is not null && !context.RequestAborted.IsCancellationRequested)
        {
            await WriteEventAsync(response, "error", null, JsonSerializer.SerializeToUtf8Bytes(
                new ProblemDetailsBody
                {
                    Type = ProblemTypes.Unauthenticated, Title = "The bearer token expired.", Status = StatusCodes.Status401Unauthorized,
                    Detail = $"The token that opened this watch expired; resume from revision {next} with a new token (Last-Event-ID or ?fromRevision={next}).",
                }, ContractsJsonContext.Default.ProblemDetailsBody), context.RequestAborted);
        }
        catch (Exception e) when (token.IsCancellationRequested && e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client went away (mid-write that can surface as an I/O error rather than a cancellation).
        }
    }

    private static TimeSpan Positive(TimeSpan span) => span > TimeSpan.Zero ? span : TimeSpan.Zero;

    internal static Task CompactedAsync(HttpContext context, GlobalZoneCluster cluster, long from, long oldest)
    {
        context.Response.Headers[HeaderNames.OldestRevision] = oldest.ToString(CultureInfo.InvariantCulture);
        ReadConsistency.StampHeaders(context, cluster);
        return Problems.WriteAsync(context, StatusCodes.Status410Gone, ProblemTypes.RevisionCompacted, "That revision is compacted.",
            $"Revision {from} is no longer in the history; the oldest available is {oldest}. Read the current state, then watch from its revision + 1.",
            currentRevision: cluster.State.Revision, oldestRevision: oldest);
    }

    private static Task WriteRevisionAsync(HttpResponse response, long revision, List<HistoryEvent> events, CancellationToken token)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("revision"u8, revision);
            writer.WriteStartArray("events"u8);
            foreach (var e in events)
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, e.Kind == HistoryEventKind.Put ? "put"u8 : "delete"u8);
                writer.WritePropertyName("kv"u8);
                KeyRecordJson.Write(writer, e.Record, includeValue: e.Kind == HistoryEventKind.Put);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return WriteEventAsync(response, "revision", revision, buffer.ToArray(), token);
    }

    private static async Task WriteProgressAsync(HttpResponse response, long revision, CancellationToken token)
    {
        await WriteEventAsync(response, "progress", revision,
            JsonSerializer.SerializeToUtf8Bytes(new WatchProgress { Revision = revision }, ContractsJsonContext.Default.WatchProgress), token);
        await response.Body.FlushAsync(token);
    }

    private static async Task WriteEventAsync(HttpResponse response, string name, long? id, byte[] data, CancellationToken token)
    {
        var header = (id is { } revision ? $"id: {revision.ToString(CultureInfo.InvariantCulture)}\n" : "") + $"event: {name}\ndata: ";
        await response.Body.WriteAsync(System.Text.Encoding.UTF8.GetBytes(header), token);
        // JSON from Utf8JsonWriter has no raw newlines, so one data line carries it.
        await response.Body.WriteAsync(data, token);
        await response.Body.WriteAsync("\n\n"u8.ToArray(), token);
    }
}
