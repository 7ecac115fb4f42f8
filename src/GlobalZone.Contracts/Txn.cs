using System.Text.Json;
using System.Text.Json.Serialization;

namespace GlobalZone.Contracts;

/// <summary>
/// <c>POST /v1/txn</c>: if every compare holds, the success operations run, otherwise the failure operations; either
/// way atomically, at one revision.
/// </summary>
public sealed record TxnRequest
{
    public IReadOnlyList<TxnCompare>? Compare { get; init; }

    public IReadOnlyList<TxnOp>? Success { get; init; }

    public IReadOnlyList<TxnOp>? Failure { get; init; }
}

/// <summary>
/// One guard: <see cref="Target"/> is <c>value</c>, <c>version</c>, <c>createRevision</c>, <c>modRevision</c> or
/// <c>lease</c>; <see cref="Op"/> is <c>==</c>, <c>!=</c>, <c>&lt;</c> or <c>&gt;</c>. An absent key has version,
/// createRevision, modRevision and lease 0, so "absent" is <c>createRevision == 0</c>.
/// </summary>
public sealed record TxnCompare
{
    public required string Key { get; init; }

    public required string Target { get; init; }

    public required string Op { get; init; }

    /// <summary>
    /// A number for the numeric targets; any JSON value for <c>value</c> (compared as minified JSON text), JSON
    /// <c>null</c> included. Absent: <see cref="JsonValueKind.Undefined"/>.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public JsonElement Value { get; init; }

    /// <summary>For <c>value</c> compares against raw values: the bytes, base64.</summary>
    public string? Base64 { get; init; }
}

/// <summary>
/// One operation: <c>put</c> (key, value or base64, optional lease), <c>delete</c> (key, or prefix), <c>get</c> (key).
/// </summary>
public sealed record TxnOp
{
    public required string Op { get; init; }

    public string? Key { get; init; }

    /// <summary>For <c>delete</c>: every key starting with this prefix instead of one key.</summary>
    public string? Prefix { get; init; }

    /// <summary>For a put: any JSON value, JSON <c>null</c> included. Absent: <see cref="JsonValueKind.Undefined"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public JsonElement Value { get; init; }

    /// <summary>For a raw put: the bytes, base64 (instead of <see cref="Value"/>).</summary>
    public string? Base64 { get; init; }

    public long? Lease { get; init; }
}

/// <summary>The answer to a transaction.</summary>
public sealed record TxnResponse
{
    /// <summary>Whether the compares held (the success branch ran).</summary>
    public required bool Succeeded { get; init; }

    /// <summary>The revision the transaction committed at; the current revision when it changed nothing.</summary>
    public required long Revision { get; init; }

    public required IReadOnlyList<TxnOpResult> Results { get; init; }
}

/// <summary>What one operation of the branch that ran did.</summary>
public sealed record TxnOpResult
{
    public required string Op { get; init; }

    public string? Key { get; init; }

    public string? Prefix { get; init; }

    /// <summary>For deletes: how many keys were removed.</summary>
    public long? Deleted { get; init; }

    /// <summary>For gets: the key, or null when absent.</summary>
    public KeyValue? Kv { get; init; }
}
