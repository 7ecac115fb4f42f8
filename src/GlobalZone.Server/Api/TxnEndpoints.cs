using System.Text;
using System.Text.Json;
using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api.OpenApi;
using GlobalZone.Server.Auth;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Auth;
using GlobalZone.StateMachine.Commands;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>POST /v1/txn</c>: compares guarding a success and a failure list of puts, deletes and gets, applied atomically
/// at one revision (etcd's Txn, in plain JSON: values are JSON, not base64). Takes Idempotency-Key and
/// If-Fencing-Token like every write. 200 whichever branch ran (<c>succeeded</c> says which).
/// </summary>
internal static class TxnEndpoints
{
    public static void MapTxnApi(this IEndpointRouteBuilder app)
        => app.MapPost("/v1/txn", EndpointDocs.Handler(context => TxnAsync(context))).RequireAnyGrant()
            .Doc("Keys", "Atomic transaction: compares guarding success and failure lists of put/delete/get, committed at one revision.")
            .Body<TxnRequest>()
            .ClientErrors()
            .WriteErrors()
            .Fenced()
            .Answers<TxnResponse>(200, "Applied; 'succeeded' says which branch ran.")
            .Fails(404, "A put names a lease that does not exist.");

    private static async Task TxnAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        var options = context.RequestServices.GetRequiredService<NodeOptions>();
        if (!Fencing.TryRead(context, out var fence, out var problem) || !IdempotencyHeader.TryRead(context, out var idempotencyKey, out problem))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, problem!);
            return;
        }

        var request = await RequestJson.ReadAsync(context, RequestJsonContext.Default.TxnRequest, options.MaxValueBytes + RequestJson.EnvelopeBytes);
        if (request is null)
            return;
        if (!TryBuild(request, options.MaxValueBytes, out var command, out problem))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, problem!);
            return;
        }

        if (FirstDenied(context, command!) is { } denied)
        {
            await KeyPermissions.DenyAsync(context, denied.Key, denied.Access);
            return;
        }

        var result = await cluster.ProposeAsync(command! with { Fence = fence, IdempotencyKey = idempotencyKey }, LocalApply.BeforeLocalReads, context.RequestAborted);
        if (await CommandOutcome.TryWriteRefusalAsync(context, cluster, result))
            return;
        var branch = result.Succeeded ? request.Success ?? [] : request.Failure ?? [];
        await KeyValueEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("succeeded"u8, result.Succeeded);
            writer.WriteNumber("revision"u8, result.Revision);
            writer.WriteStartArray("results"u8);
            for (var i = 0; i < result.Operations.Count && i < branch.Count; i++)
                WriteOperation(writer, branch[i], result.Operations[i]);
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    /// <summary>
    /// The first key of the transaction its caller may not touch (compares and gets read, puts and deletes write),
    /// whichever branch would run: which one does depends on state the caller may not be allowed to see.
    /// </summary>
    private static (string Key, KeyAccess Access)? FirstDenied(HttpContext context, TxnCommand command)
    {
        foreach (var compare in command.Compares)
        {
            if (!KeyPermissions.Allows(context, compare.Key, KeyAccess.Read))
                return (compare.Key, KeyAccess.Read);
        }

        foreach (var op in command.Success.Concat(command.Failure))
        {
            var access = op.Kind == TxnOperationKind.Get ? KeyAccess.Read : KeyAccess.Write;
            if (!KeyPermissions.Allows(context, op.Key, access))
                return (op.Key, access);
        }

        return null;
    }

    private static void WriteOperation(Utf8JsonWriter writer, TxnOp request, OperationResult result)
    {
        writer.WriteStartObject();
        writer.WriteString("op"u8, request.Op);
        if (request.Key is not null)
            writer.WriteString("key"u8, request.Key);
        if (request.Prefix is not null)
            writer.WriteString("prefix"u8, request.Prefix);
        switch (result.Kind)
        {
            case TxnOperationKind.Delete or TxnOperationKind.DeletePrefix:
                writer.WriteNumber("deleted"u8, result.Deleted);
                break;
            case TxnOperationKind.Get:
                writer.WritePropertyName("kv"u8);
                if (result.Records is { Count: > 0 } records)
                    KeyRecordJson.Write(writer, records[0]);
                else
                    writer.WriteNullValue();
                break;
        }

        writer.WriteEndObject();
    }

    /// <summary>Validates everything that does not depend on the state, and builds the command.</summary>
    internal static bool TryBuild(TxnRequest request, int maxValueBytes, out TxnCommand? command, out string? problem)
    {
        command = null;
        var compares = request.Compare ?? [];
        var success = request.Success ?? [];
        var failure = request.Failure ?? [];
        if (compares.Count + success.Count + failure.Count > Limits.MaxTxnOperations)
        {
            problem = $"A transaction holds at most {Limits.MaxTxnOperations} compares and operations together.";
            return false;
        }

        if (compares.Count + success.Count + failure.Count == 0)
        {
            problem = "The transaction is empty; give compare, success and/or failure.";
            return false;
        }

        var builtCompares = new List<Compare>(compares.Count);
        for (var i = 0; i < compares.Count; i++)
        {
            if (!TryBuildCompare(compares[i], maxValueBytes, out var compare, out problem))
            {
                problem = $"compare[{i}]: {problem}";
                return false;
            }

            builtCompares.Add(compare!);
        }

        if (!TryBuildOperations(success, "success", maxValueBytes, out var builtSuccess, out problem)
            || !TryBuildOperations(failure, "failure", maxValueBytes, out var builtFailure, out problem))
            return false;
        command = new TxnCommand(builtCompares, builtSuccess!, builtFailure!);
        return true;
    }

    private static bool TryBuildCompare(TxnCompare compare, int maxValueBytes, out Compare? built, out string? problem)
    {
        built = null;
        if (KeyValidation.Problem(compare.Key) is { } keyProblem)
        {
            problem = keyProblem;
            return false;
        }

        CompareOperator? op = compare.Op switch
        {
            "==" => CompareOperator.Equal,
            "!=" => CompareOperator.NotEqual,
            "<" => CompareOperator.Less,
            ">" => CompareOperator.Greater,
            _ => null,
        };
        CompareTarget? target = compare.Target switch
        {
            "value" => CompareTarget.Value,
            "version" => CompareTarget.Version,
            "createRevision" => CompareTarget.CreateRevision,
            "modRevision" => CompareTarget.ModRevision,
            "lease" => CompareTarget.Lease,
            _ => null,
        };
        if (op is null)
        {
            problem = $"op '{compare.Op}' is not one of ==, !=, <, >.";
            return false;
        }

        if (target is null)
        {
            problem = $"target '{compare.Target}' is not one of value, version, createRevision, modRevision, lease.";
            return false;
        }

        if (target == CompareTarget.Value)
        {
            if (!TryValueBytes(compare.Value, compare.Base64, maxValueBytes, out var bytes, out _, out problem))
                return false;
            built = new Compare(compare.Key, CompareTarget.Value, op.Value, 0, bytes);
            return true;
        }

        if (compare.Base64 is not null || compare.Value is not { ValueKind: JsonValueKind.Number } number || !number.TryGetInt64(out var operand) || operand < 0)
        {
            problem = $"target '{compare.Target}' compares with a whole number >= 0 in 'value'.";
            return false;
        }

        built = new Compare(compare.Key, target.Value, op.Value, operand);
        problem = null;
        return true;
    }

    private static bool TryBuildOperations(IReadOnlyList<TxnOp> ops, string branch, int maxValueBytes, out List<TxnOperation>? built, out string? problem)
    {
        built = new List<TxnOperation>(ops.Count);
        problem = null;
        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            string? opProblem = op.Op switch
            {
                "put" => Put(op, maxValueBytes, built),
                "delete" => Delete(op, built),
                "get" => Get(op, built),
                _ => $"op '{op.Op}' is not one of put, delete, get.",
            };
            if (opProblem is not null)
            {
                problem = $"{branch}[{i}]: {opProblem}";
                built = null;
                return false;
            }
        }

        return true;
    }

    private static string? Put(TxnOp op, int maxValueBytes, List<TxnOperation> built)
    {
        if (op.Prefix is not null)
            return "put takes a key, not a prefix.";
        if (KeyValidation.Problem(op.Key) is { } keyProblem)
            return keyProblem;
        if (op.Lease is < 0)
            return "lease must be a lease id (a positive whole number).";
        if (!TryValueBytes(op.Value, op.Base64, maxValueBytes, out var bytes, out var format, out var problem))
            return problem;
        built.Add(new TxnOperation(TxnOperationKind.Put, op.Key!, bytes, format, op.Lease ?? 0));
        return null;
    }

    private static string? Delete(TxnOp op, List<TxnOperation> built)
    {
        if (op.Value.ValueKind != JsonValueKind.Undefined || op.Base64 is not null || op.Lease is not null)
            return "delete takes a key or a prefix, nothing else.";
        if ((op.Key is null) == (op.Prefix is null))
            return "delete takes exactly one of key or prefix.";
        if (op.Key is not null)
        {
            if (KeyValidation.Problem(op.Key) is { } keyProblem)
                return keyProblem;
            built.Add(new TxnOperation(TxnOperationKind.Delete, op.Key));
            return null;
        }

        if (op.Prefix!.Length > 0 && KeyValidation.Problem(op.Prefix) is { } prefixProblem)
            return prefixProblem;
        built.Add(new TxnOperation(TxnOperationKind.DeletePrefix, op.Prefix));
        return null;
    }

    private static string? Get(TxnOp op, List<TxnOperation> built)
    {
        if (op.Value.ValueKind != JsonValueKind.Undefined || op.Base64 is not null || op.Lease is not null || op.Prefix is not null)
            return "get takes a key, nothing else.";
        if (KeyValidation.Problem(op.Key) is { } keyProblem)
            return keyProblem;
        built.Add(new TxnOperation(TxnOperationKind.Get, op.Key!));
        return null;
    }

    /// <summary>Exactly one of a JSON value (stored minified) or base64 bytes (stored raw), within the size limit.</summary>
    private static bool TryValueBytes(JsonElement value, string? base64, int maxValueBytes, out byte[] bytes, out ValueFormat format, out string? problem)
    {
        bytes = [];
        format = ValueFormat.Json;
        problem = null;
        if ((value.ValueKind == JsonValueKind.Undefined) == (base64 is null))
        {
            problem = "give exactly one of value (any JSON) or base64 (raw bytes).";
            return false;
        }

        if (base64 is not null)
        {
            var buffer = new byte[base64.Length * 3 / 4 + 3];
            if (!Convert.TryFromBase64String(base64, buffer, out var written))
            {
                problem = "base64 is not valid base64.";
                return false;
            }

            bytes = buffer.AsSpan(0, written).ToArray();
            format = ValueFormat.Raw;
        }
        else
        {
            bytes = JsonText.Minify(Encoding.UTF8.GetBytes(value.GetRawText()));
        }

        if (bytes.Length > maxValueBytes)
        {
            problem = $"the value is {bytes.Length} bytes; the limit is {maxValueBytes}.";
            return false;
        }

        return true;
    }
}
