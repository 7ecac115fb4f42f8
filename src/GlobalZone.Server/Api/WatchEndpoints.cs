using System.Buffers;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text.Json;
using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api.OpenApi;
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
        app.MapGet("/v1/watch", EndpointDocs.Handler(context => WatchAsync(context))).RequireRead(WatchScope)
            .Doc("Watches", "Stream changes as Server-Sent Events: one 'revision' event per revision (id = revision), 'progress' events while idle. Any member.")
            .Query("key", "Watch one key.")
            .Query("prefix", "Watch every key under a prefix (empty: all keys).")
            .Query("fromRevision", "Start at this revision (default: the next one). 410 if compacted.", "integer")
            .Header("Last-Event-ID", "Resume after this revision (EventSource sends it on reconnect).")
            .ClientErrors("This member serves GlobalZone:Limits:MaxWatchesPerMember watches (too-many-watches): watch through another member or retry after Retry-After.")
            .Answers<SseItem<WatchRevision>>(200, "text/event-stream. event: revision, data: WatchRevision; event: progress, data: WatchProgress; event: error, data: Problem.", "text/event-stream")
            .Fails(410, "fromRevision is compacted; oldestRevision says where history starts.");
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
        try
        {
            // SseFormatter writes each event as event/data/id lines and flushes after each one, so a progress event or
            // a revision reaches the client at once. It writes with RequestAborted; the events end on their own (token
            // expiry, compaction) with a last error event.
            await SseFormatter.WriteAsync(EventsAsync(context, feed, filter, from), response.Body,
                static (item, writer) => writer.Write(item.Data), context.RequestAborted);
        }
        catch (Exception e) when (context.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client went away (mid-write that can surface as an I/O error rather than a cancellation).
        }
    }

    /// <summary>
    /// The stream's events: a <c>progress</c> first, then <c>revision</c>s as they commit, a <c>progress</c> after each
    /// idle interval, and an <c>error</c> last when the token that opened the watch expires or this member's history
    /// drops the next revision. Ends (without an event) when the client goes away.
    /// </summary>
    private static async IAsyncEnumerable<SseItem<byte[]>> EventsAsync(HttpContext context, RevisionFeed feed, KeyFilter filter, long from)
    {
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
        yield return Progress(next - 1);
        var pending = new List<SseItem<byte[]>>();
        while (true)
        {
            // C# allows no yield inside a try with a catch: each round collects its events, then yields them.
            pending.Clear();
            var last = false;
            try
            {
                // Expiry between two rounds still ends with the error event; the client's leaving ends the stream here.
                token.ThrowIfCancellationRequested();
                var batch = await feed.ReadAsync(next, BatchRevisions, token);
                foreach (var (revision, events) in batch)
                {
                    // Checked per change against the roles as they are now, not only when the stream opened: a read
                    // permission revoked (or a user deleted) mid-stream stops deliveries at once.
                    var matching = events.Where(e => filter.Matches(e.Record.Key) && KeyPermissions.Allows(context, e.Record.Key, StateMachine.Auth.KeyAccess.Read)).ToList();
                    if (matching.Count > 0)
                        pending.Add(Revision(revision, matching));
                    next = revision + 1;
                }

                if (batch.Count == 0)
                {
                    // Wakes only for a revision this watch matches (or to send progress): idle watches cost no work per write.
                    var (matched, readFrom) = await feed.WaitForMatchAsync(filter, next - 1, ProgressInterval, token);
                    next = Math.Max(next, readFrom);
                    if (!matched)
                        pending.Add(Progress(next - 1));
                }
            }
            catch (RevisionCompactedException e)
            {
                // Only a snapshot install on this member can do this mid-stream; the client resumes elsewhere or later.
                pending.Add(Error(new ProblemDetailsBody
                {
                    Type = ProblemTypes.RevisionCompacted, Title = "The watch fell behind the history.", Status = StatusCodes.Status410Gone,
                    Detail = e.Message, OldestRevision = e.OldestRevision,
                }));
                last = true;
            }
            catch (OperationCanceledException) when (tokenExpiry is not null && !context.RequestAborted.IsCancellationRequested)
            {
                pending.Add(Error(new ProblemDetailsBody
                {
                    Type = ProblemTypes.Unauthenticated, Title = "The bearer token expired.", Status = StatusCodes.Status401Unauthorized,
                    Detail = $"The token that opened this watch expired; resume from revision {next} with a new token (Last-Event-ID or ?fromRevision={next}).",
                }));
                last = true;
            }

            foreach (var item in pending)
                yield return item;
            if (last)
                yield break;
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

    private static SseItem<byte[]> Revision(long revision, List<HistoryEvent> events)
    {
        var buffer = new ArrayBufferWriter<byte>();
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

        // JSON from Utf8JsonWriter has no raw newlines, so the formatter writes it as one data line.
        return new SseItem<byte[]>(buffer.WrittenSpan.ToArray(), "revision") { EventId = Id(revision) };
    }

    private static SseItem<byte[]> Progress(long revision)
        => new(JsonSerializer.SerializeToUtf8Bytes(new WatchProgress { Revision = revision }, ContractsJsonContext.Default.WatchProgress), "progress")
        {
            EventId = Id(revision),
        };

    /// <summary>An error event has no id: the client's resume point stays at the last revision it received.</summary>
    private static SseItem<byte[]> Error(ProblemDetailsBody problem)
        => new(JsonSerializer.SerializeToUtf8Bytes(problem, ContractsJsonContext.Default.ProblemDetailsBody), "error");

    private static string Id(long revision) => revision.ToString(CultureInfo.InvariantCulture);
}
