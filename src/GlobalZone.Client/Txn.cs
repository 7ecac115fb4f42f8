using System.Text.Json;
using GlobalZone.Client.Internal;
using GlobalZone.Contracts;

namespace GlobalZone.Client;

/// <summary>
/// Builds <see cref="TxnRequest"/>s: <c>Txn.If(Txn.ModRevisionIs("a", 5)).Then(Txn.Put("a", 1)).Else(Txn.Get("a"))</c>.
/// Values are serialized with the web defaults (<see cref="JsonSerializerDefaults.Web"/>) unless options are given.
/// </summary>
public static class Txn
{
    /// <summary>A transaction guarded by these compares (all must hold).</summary>
    public static TxnRequest If(params TxnCompare[] compares) => new() { Compare = compares };

    /// <summary>The operations to run when the compares hold.</summary>
    public static TxnRequest Then(this TxnRequest request, params TxnOp[] operations) => request with { Success = operations };

    /// <summary>The operations to run when a compare fails.</summary>
    public static TxnRequest Else(this TxnRequest request, params TxnOp[] operations) => request with { Failure = operations };

    /// <summary>Put a JSON value (optionally attached to a lease).</summary>
    public static TxnOp Put<T>(string key, T value, long? lease = null, JsonSerializerOptions? options = null)
        => new() { Op = "put", Key = key, Value = JsonSerializer.SerializeToElement(value, options ?? WebJson.Options), Lease = lease };

    /// <summary>Put raw bytes.</summary>
    public static TxnOp PutBytes(string key, ReadOnlySpan<byte> value, long? lease = null)
        => new() { Op = "put", Key = key, Base64 = Convert.ToBase64String(value), Lease = lease };

    /// <summary>Delete one key.</summary>
    public static TxnOp Delete(string key) => new() { Op = "delete", Key = key };

    /// <summary>Delete every key under a prefix.</summary>
    public static TxnOp DeletePrefix(string prefix) => new() { Op = "delete", Prefix = prefix };

    /// <summary>Read a key (its result's <see cref="TxnOpResult.Kv"/>).</summary>
    public static TxnOp Get(string key) => new() { Op = "get", Key = key };

    /// <summary>The key does not exist (its createRevision is 0).</summary>
    public static TxnCompare Absent(string key) => Compare(key, "createRevision", "==", 0);

    /// <summary>The key exists.</summary>
    public static TxnCompare Exists(string key) => Compare(key, "createRevision", ">", 0);

    /// <summary>The key's modRevision (its ETag) is this.</summary>
    public static TxnCompare ModRevisionIs(string key, long modRevision) => Compare(key, "modRevision", "==", modRevision);

    /// <summary>The key's version (puts since creation) is this.</summary>
    public static TxnCompare VersionIs(string key, long version) => Compare(key, "version", "==", version);

    /// <summary>The key's value equals this JSON value (compared as minified JSON text).</summary>
    public static TxnCompare ValueIs<T>(string key, T value, JsonSerializerOptions? options = null)
        => new() { Key = key, Target = "value", Op = "==", Value = JsonSerializer.SerializeToElement(value, options ?? WebJson.Options) };

    /// <summary>
    /// Any numeric compare: <paramref name="target"/> is <c>version</c>, <c>createRevision</c>, <c>modRevision</c> or
    /// <c>lease</c>; <paramref name="op"/> is <c>==</c>, <c>!=</c>, <c>&lt;</c> or <c>&gt;</c>.
    /// </summary>
    public static TxnCompare Compare(string key, string target, string op, long operand)
        => new() { Key = key, Target = target, Op = op, Value = JsonSerializer.SerializeToElement(operand, WebJson.Options) };
}
