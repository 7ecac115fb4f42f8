using System.Globalization;
using System.Text.Json;
using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api.OpenApi;
using GlobalZone.Server.Auth;
using GlobalZone.Server.Watching;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>/v1/kv/{key}</c>: GET (one key, or a prefix listing with <c>?prefix</c>), PUT (JSON or raw value,
/// conditional with If-Match / If-None-Match), DELETE (one key or a prefix). Handlers write JSON directly:
/// the HTTP path is most of a request's cost, so it stays thin.
/// </summary>
internal static class KeyValueEndpoints
{
    private const int DefaultListLimit = 1000;
    private const int MaxListLimit = 10_000;

    public static void MapKeyValueApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/kv");
        // The key, or with ?prefix the prefix, is the route's key: one grant must cover it.
        group.MapGet("/{**key}", EndpointDocs.Handler(context => GetAsync(context))).RequireRead(KeyScope.RouteKey)
            .Doc("Keys", "Read a key, or list keys under a prefix (?prefix), optionally blocking until a change (?waitRevision&wait).")
            .Path("key", "The key: UTF-8, up to 1 KiB, '/'-separated by convention.")
            .Query("prefix", "List every key starting with {key} (may be empty) instead of reading one key.", "boolean")
            .Query("limit", "Listing page size, 1-10000 (default 1000).", "integer")
            .Query("after", "Listing cursor: the 'next' of the previous page (exclusive).")
            .Query("keysOnly", "Listing without values.", "boolean")
            .Query("raw", "Answer the stored bytes themselves (application/octet-stream for raw values).", "boolean")
            .Query("waitRevision", "Block until the key (or prefix) changes at this revision or later: pass the X-GZ-Revision of your last answer + 1.", "integer")
            .Query("wait", "Longest block with waitRevision (default 1m, at most 10m): 30s, 2m.")
            .Query("consistency", "linearizable (default; any member, via a leader-confirmed read index) or stale (local state, never waits).")
            .Query("maxStaleness", "With consistency=stale: refuse (503 too-stale) if this member's data may be older than this (500ms, 5s, 1m): the time since the latest leader contact whose commit index it has applied, so a member whose apply lags refuses too (X-GZ-Data-Age-Ms says the age).")
            .ClientErrors("No leader (retry after Retry-After), or a stale read beyond maxStaleness, or too-many-blocking-reads (?waitRevision= beyond GlobalZone:Limits:MaxBlockingReadsPerMember).")
            .Answers<KeyValue>(200, "The key (ETag = its modRevision), or a page of keys.")
            .Fails(404, "No such key.")
            .Fails(410, "waitRevision is older than the history (see oldestRevision).");
        group.MapPut("/{**key}", EndpointDocs.Handler(context => PutAsync(context))).RequireWrite(KeyScope.RouteKey)
            .Doc("Keys", "Write a key: any JSON value, or raw bytes with ?raw or Content-Type application/octet-stream.")
            .Path("key", "The key: UTF-8, up to 1 KiB, '/'-separated by convention.")
            .Query("raw", "Store the body as opaque bytes.", "boolean")
            .Query("lease", "Attach the key to a lease: deleted when it ends.", "integer")
            .Header("If-Match", "Compare-and-set: an ETag (modRevision) this API returned, or * (exists).")
            .Header("If-None-Match", "* : create only if absent.")
            .Body<JsonElement>()
            .ClientErrors("No leader (retry after Retry-After), or a stale read beyond maxStaleness, or too-many-idempotency-records (GlobalZone:Limits:MaxIdempotencyRecords).")
            .WriteErrors()
            .Fenced()
            .Answers<WriteResult>(200, "Written; ETag is the new modRevision.")
            .Fails(404, "The lease does not exist.")
            .Fails(412, "If-Match / If-None-Match did not hold; ETag is the current modRevision.");
        group.MapDelete("/{**key}", EndpointDocs.Handler(context => DeleteAsync(context))).RequireWrite(KeyScope.RouteKey)
            .Doc("Keys", "Delete a key, or every key under a prefix (?prefix).")
            .Path("key", "The key: UTF-8, up to 1 KiB, '/'-separated by convention.")
            .Query("prefix", "Delete every key starting with {key}.", "boolean")
            .Header("If-Match", "Delete only at this modRevision, or * (exists).")
            .ClientErrors("No leader (retry after Retry-After), or a stale read beyond maxStaleness, or too-many-idempotency-records (GlobalZone:Limits:MaxIdempotencyRecords).")
            .WriteErrors()
            .Fenced()
            .Answers<WriteResult>(200, "Deleted (deleted = count).")
            .Fails(412, "The condition did not hold.");
    }

    private static async Task GetAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        var key = context.Request.RouteValues["key"] as string ?? "";
        var query = context.Request.Query;
        var isList = query.ContainsKey("prefix");
        if (!isList && KeyValidation.Problem(context, key) is { } keyProblem)
        {
            await Problems.BadRequest(context, ProblemTypes.InvalidKey, keyProblem);
            return;
        }

        if (isList && key.Length > 0 && KeyValidation.Problem(context, key) is { } prefixProblem)
        {
            await Problems.BadRequest(context, ProblemTypes.InvalidKey, prefixProblem);
            return;
        }

        var limit = DefaultListLimit;
        if (isList && query.TryGetValue("limit", out var limitText) && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxListLimit))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, $"limit must be a whole number from 1 to {MaxListLimit}.");
            return;
        }

        if (query.ContainsKey("waitRevision") || query.ContainsKey("wait"))
        {
            if (!await WaitForChangeAsync(context, cluster, new KeyFilter(key, isList)))
                return;
        }

        if (!await ReadConsistency.PrepareAsync(context, cluster))
            return;

        if (isList)
        {
            var after = query.TryGetValue("after", out var cursor) ? cursor.ToString() : null;
            var keysOnly = query.ContainsKey("keysOnly");
            var page = cluster.State.Range(key, after, limit, keysOnly);
            await WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
            {
                writer.WriteStartObject();
                writer.WriteNumber("revision"u8, page.Revision);
                writer.WriteStartArray("kvs"u8);
                foreach (var record in page.Records)
                    KeyRecordJson.Write(writer, record, includeValue: !keysOnly);
                writer.WriteEndArray();
                writer.WriteBoolean("more"u8, page.More);
                if (page.More)
                    writer.WriteString("next"u8, page.Records[^1].Key);
                writer.WriteEndObject();
            });
            return;
        }

        var found = cluster.State.Get(key);
        if (found is null)
        {
            await Problems.WriteAsync(context, StatusCodes.Status404NotFound, ProblemTypes.KeyNotFound, "No such key.", $"Key '{key}' does not exist.", currentRevision: cluster.State.Revision);
            return;
        }

        context.Response.Headers.ETag = ETag(found.ModRevision);
        if (query.ContainsKey("raw"))
        {
            context.Response.ContentType = found.Format == ValueFormat.Raw ? "application/octet-stream" : "application/json";
            await context.Response.Body.WriteAsync(found.Value, context.RequestAborted);
            return;
        }

        await WriteJsonAsync(context, StatusCodes.Status200OK, writer => KeyRecordJson.Write(writer, found));
    }

    private static async Task PutAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        var options = context.RequestServices.GetRequiredService<NodeOptions>();
        var key = context.Request.RouteValues["key"] as string;
        if (KeyValidation.Problem(context, key) is { } keyProblem)
        {
            await Problems.BadRequest(context, ProblemTypes.InvalidKey, keyProblem);
            return;
        }

        if (!TryParseConditions(context, key!, out var compares, out var conditionProblem) || !IdempotencyHeader.TryRead(context, out var idempotencyKey, out conditionProblem)
            || !Fencing.TryRead(context, out var fence, out conditionProblem))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, conditionProblem!);
            return;
        }

        long lease = 0;
        if (context.Request.Query.TryGetValue("lease", out var leaseText) && (!long.TryParse(leaseText, NumberStyles.None, CultureInfo.InvariantCulture, out lease) || lease < 0))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, "lease must be a lease id (a positive whole number).");
            return;
        }

        var body = await RequestBody.ReadLimitedAsync(context, options.MaxValueBytes);
        if (body is null)
            return;

        var raw = context.Request.Query.ContainsKey("raw") || context.Request.ContentType?.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase) == true;
        if (!raw && JsonValueCheck.Problem(body) is { } jsonProblem)
        {
            await Problems.BadRequest(context, ProblemTypes.InvalidJson, jsonProblem);
            return;
        }

        // Stored minified, so that a transaction's value compare does not depend on the writer's spacing.
        if (!raw)
            body = JsonText.Minify(body);

        var command = new TxnCommand(compares, [new TxnOperation(TxnOperationKind.Put, key!, body, raw ? ValueFormat.Raw : ValueFormat.Json, lease)], [new TxnOperation(TxnOperationKind.Get, key!)])
        {
            IdempotencyKey = idempotencyKey,
            Fence = fence,
        };
        var result = await cluster.ProposeAsync(command, LocalApply.BeforeLocalReads, context.RequestAborted);
        await WriteWriteResultAsync(context, cluster, key!, result, deleted: null);
    }

    private static async Task DeleteAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        var key = context.Request.RouteValues["key"] as string ?? "";
        var prefix = context.Request.Query.ContainsKey("prefix");
        if ((!prefix || key.Length > 0) && KeyValidation.Problem(context, key) is { } keyProblem)
        {
            await Problems.BadRequest(context, ProblemTypes.InvalidKey, keyProblem);
            return;
        }

        if (!TryParseConditions(context, key, out var compares, out var conditionProblem) || !IdempotencyHeader.TryRead(context, out var idempotencyKey, out conditionProblem)
            || !Fencing.TryRead(context, out var fence, out conditionProblem))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, conditionProblem!);
            return;
        }

        if (prefix && compares.Count > 0)
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, "Conditions apply to one key, not to a prefix delete.");
            return;
        }

        var command = new TxnCommand(compares, [new TxnOperation(prefix ? TxnOperationKind.DeletePrefix : TxnOperationKind.Delete, key)], [new TxnOperation(TxnOperationKind.Get, key)])
        {
            IdempotencyKey = idempotencyKey,
            Fence = fence,
        };
        var result = await cluster.ProposeAsync(command, LocalApply.BeforeLocalReads, context.RequestAborted);
        await WriteWriteResultAsync(context, cluster, key, result, deleted: result.Succeeded ? result.Operations[0].Deleted : null);
    }

    private static async Task WriteWriteResultAsync(HttpContext context, GlobalZoneCluster cluster, string key, CommandResult result, long? deleted)
    {
        // Fenced, unknown lease, reused Idempotency-Key, rejected: nothing was applied (also stamps the headers).
        if (await CommandOutcome.TryWriteRefusalAsync(context, cluster, result))
            return;

        if (!result.Succeeded)
        {
            var current = result.Operations.Count > 0 ? result.Operations[0].Records : null;
            var modRevision = current is { Count: > 0 } ? current[0].ModRevision : 0;
            if (modRevision > 0)
                context.Response.Headers.ETag = ETag(modRevision);
            await Problems.WriteAsync(context, StatusCodes.Status412PreconditionFailed, ProblemTypes.PreconditionFailed, "The condition did not hold.",
                modRevision > 0 ? $"Key '{key}' is at modRevision {modRevision}." : $"Key '{key}' does not exist.", currentRevision: result.Revision);
            return;
        }

        if (deleted is null)
            context.Response.Headers.ETag = ETag(result.Revision);
        await WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteNumber("revision"u8, result.Revision);
            if (deleted is { } count)
                writer.WriteNumber("deleted"u8, count);
            writer.WriteEndObject();
        });
    }

    /// <summary>
    /// HTTP preconditions as compares: <c>If-Match: "N"</c> (modRevision is N), <c>If-Match: *</c> (exists),
    /// <c>If-None-Match: *</c> (absent).
    /// </summary>
    private static bool TryParseConditions(HttpContext context, string key, out List<Compare> compares, out string? problem)
    {
        compares = [];
        problem = null;
        var headers = context.Request.Headers;
        if (headers.IfMatch is { Count: > 0 } ifMatch)
        {
            var text = ifMatch.ToString().Trim();
            if (text == "*")
                compares.Add(new Compare(key, CompareTarget.CreateRevision, CompareOperator.Greater, 0));
            else if (long.TryParse(text.Trim('"').TrimStart('W', '/').Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var revision) && revision > 0)
                compares.Add(new Compare(key, CompareTarget.ModRevision, CompareOperator.Equal, revision));
            else
            {
                problem = "If-Match must be * or an ETag (a modRevision) this API returned.";
                return false;
            }
        }

        if (headers.IfNoneMatch is { Count: > 0 } ifNoneMatch)
        {
            if (ifNoneMatch.ToString().Trim() != "*")
            {
                problem = "If-None-Match supports only * (create if absent).";
                return false;
            }

            compares.Add(new Compare(key, CompareTarget.CreateRevision, CompareOperator.Equal, 0));
        }

        return true;
    }

    /// <summary>
    /// <c>?waitRevision=N&amp;wait=30s</c>: holds the read until the key (or the listed prefix) changes at revision N or
    /// later, or the wait ends. False after writing a problem (bad parameters, compacted revision).
    /// </summary>
    private static async Task<bool> WaitForChangeAsync(HttpContext context, GlobalZoneCluster cluster, KeyFilter filter)
    {
        var query = context.Request.Query;
        if (!query.TryGetValue("waitRevision", out var revisionText)
            || !long.TryParse(revisionText, NumberStyles.None, CultureInfo.InvariantCulture, out var waitRevision) || waitRevision < 1)
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, "waitRevision must be a revision (a whole number from 1): the X-GZ-Revision of your last answer + 1.");
            return false;
        }

        var wait = ChangeWaiter.DefaultWait;
        if (query.TryGetValue("wait", out var waitText) && (!Durations.TryParse(waitText, out wait) || wait < TimeSpan.Zero || wait > ChangeWaiter.MaxWait))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, $"wait must be a duration such as 30s or 2m, at most {Durations.Describe(ChangeWaiter.MaxWait)}.");
            return false;
        }

        if (cluster.Directory.Self.IsWitness)
            throw new WitnessServesNoClientsException();
        var feed = context.RequestServices.GetRequiredService<RevisionFeed>();
        using var place = context.RequestServices.GetRequiredService<Capacity.MemberCapacity>().TakeBlockingRead();
        try
        {
            await ChangeWaiter.WaitAsync(feed, filter, waitRevision, wait, context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System, context.RequestAborted);
            return true;
        }
        catch (RevisionCompactedException e)
        {
            await WatchEndpoints.CompactedAsync(context, cluster, waitRevision, e.OldestRevision);
            return false;
        }
    }

    private static string ETag(long revision) => "\"" + revision.ToString(CultureInfo.InvariantCulture) + "\"";

    internal static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
            write(writer);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
