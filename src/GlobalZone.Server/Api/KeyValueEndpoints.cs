using System.Globalization;
using System.Text.Json;
using GlobalZone.Consensus;
using GlobalZone.Contracts;
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
        group.MapGet("/{**key}", (HttpContext context) => GetAsync(context)).RequireRead(KeyScope.RouteKey);
        group.MapPut("/{**key}", (HttpContext context) => PutAsync(context)).RequireWrite(KeyScope.RouteKey);
        group.MapDelete("/{**key}", (HttpContext context) => DeleteAsync(context)).RequireWrite(KeyScope.RouteKey);
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
