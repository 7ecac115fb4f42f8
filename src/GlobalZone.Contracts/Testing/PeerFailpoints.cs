using System.Text.Json;
using System.Text.Json.Serialization;

namespace GlobalZone.Contracts.Testing;

/// <summary>
/// TEST-ONLY: the wire form of the member-to-member failpoints (<c>GlobalZone:Testing:EnablePeerFailpoints</c>).
/// A test arms a failpoint on one member (normally the leader) that acts on what that member sends to another one.
/// Members without the switch answer 404 on the route. Never enable it in production.
/// </summary>
public static class PeerFailpointRoutes
{
    /// <summary><c>GET</c>: the armed failpoints; <c>POST</c> a <see cref="PeerFailpointRequest"/>: arm or disarm one; <c>DELETE</c>: disarm all.</summary>
    public const string Failpoints = "/internal/v1/testing/failpoints";
}

/// <summary>What a failpoint does to the requests this member sends to the target member.</summary>
public static class PeerFailpointActions
{
    /// <summary>
    /// Every Raft AppendEntries (entries and heartbeats alike) still goes out, so the target keeps appending and
    /// acknowledging entries, but the commit index it carries (<c>X-Raft-Commit-Index</c>) is capped: the target never
    /// learns that anything beyond the cap is committed.
    /// </summary>
    public const string HoldCommitIndex = "hold-commit-index";

    /// <summary>Every request to the target fails before it leaves, as if the target were unreachable (one direction only).</summary>
    public const string Drop = "drop";

    /// <summary>
    /// Acts on what this member receives, so the target must be this member itself: the next time it acknowledges an
    /// AppendEntries that carried entries, it sends the acknowledgement and then kills itself (SIGKILL) at once, before
    /// it hears anything more (in particular that the entries are committed). What it kept is then exactly what its log
    /// had made durable when it acknowledged. One-shot, and gone with the process.
    /// </summary>
    public const string CrashAfterAcknowledgingEntries = "crash-after-acknowledging-entries";

    /// <summary>Disarms the target's failpoint.</summary>
    public const string None = "none";
}

/// <summary>Arms (or, with <see cref="PeerFailpointActions.None"/>, disarms) the failpoint for one target member.</summary>
public sealed record PeerFailpointRequest
{
    /// <summary>The target: a member id from the member list, or a member URL.</summary>
    public required string Member { get; init; }

    /// <summary>One of <see cref="PeerFailpointActions"/>.</summary>
    public required string Action { get; init; }

    /// <summary>
    /// For <see cref="PeerFailpointActions.HoldCommitIndex"/>: the highest commit index the target may be told. Null: the
    /// commit index this member last sent it (what it already knows), so from now on it learns nothing new.
    /// </summary>
    public long? CommitIndexCap { get; init; }
}

/// <summary>The failpoints armed on the answering member.</summary>
public sealed record PeerFailpointState
{
    public required string MemberId { get; init; }

    public required IReadOnlyList<PeerFailpoint> Failpoints { get; init; }
}

/// <summary>One armed failpoint and what it has done so far.</summary>
public sealed record PeerFailpoint
{
    public required string Member { get; init; }

    /// <summary>The target's authority (host:port) the failpoint matches outgoing requests against.</summary>
    public required string Authority { get; init; }

    public required string Action { get; init; }

    public long? CommitIndexCap { get; init; }

    /// <summary>AppendEntries requests whose commit index was lowered to the cap.</summary>
    public long Rewritten { get; init; }

    /// <summary>Requests failed before they left.</summary>
    public long Dropped { get; init; }
}

/// <summary>Source-generated JSON for the failpoint types, read strictly.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict
#if NET9_0_OR_GREATER
    // Only the server (net10) reads these strictly; System.Text.Json 8 has no such option.
    , RespectNullableAnnotations = true
#endif
    )]
[JsonSerializable(typeof(PeerFailpointRequest))]
[JsonSerializable(typeof(PeerFailpointState))]
public sealed partial class PeerFailpointJsonContext : JsonSerializerContext;
