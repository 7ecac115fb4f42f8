using System.Text.Json;
using System.Text.Json.Serialization;

namespace GlobalZone.Contracts;

/// <summary>
/// The value of an election's leader key. An election NAME is the lock NAME (whose grant makes a leader) plus the key
/// NAME, which the leader writes fenced by its grant and attached to the grant's lease: so the key only ever names a
/// current or just-ended grant, vanishes with the lease, and can be watched by anyone who may read NAME.
/// </summary>
public sealed record ElectionLeader
{
    /// <summary>The leader's value: who it is (for example <c>host:pid</c>), or what it proclaimed since.</summary>
    public required string Candidate { get; init; }

    /// <summary>The lock grant's fencing token: larger for every later leader of this election.</summary>
    public required long FencingToken { get; init; }

    /// <summary>The <c>If-Fencing-Token</c> value of the grant: <c>{name}:{token}</c>.</summary>
    public required string Fence { get; init; }

    /// <summary>The lease that holds the grant (and the key).</summary>
    public required long Lease { get; init; }
}

/// <summary>Source-generated JSON for the election's key value; its own context so the shared one stays untouched.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ElectionLeader))]
public sealed partial class ElectionJsonContext : JsonSerializerContext;
