using System.Text.Json.Serialization;
using GlobalZone.Contracts;

namespace GlobalZone.Consensus;

/// <summary>What a member says about its own log when another member probes it (see <see cref="PeerProgressMonitor"/>).</summary>
public sealed record MemberProgressReport
{
    public required string MemberId { get; init; }

    /// <summary>The member's current term.</summary>
    public required long Term { get; init; }

    /// <summary>Index and term of the last entry in its log: what elections compare.</summary>
    public required long LastIndex { get; init; }

    public required long LastTerm { get; init; }

    public required long CommitIndex { get; init; }

    public required long AppliedIndex { get; init; }

    /// <summary>The leader this member follows (or is), if any.</summary>
    public string? LeaderId { get; init; }

    /// <summary>True while the member does not campaign (the witness, or a voter holding off for a hand-off).</summary>
    public bool Standby { get; init; }

    /// <summary>The newest leadership hand-off this member itself performed.</summary>
    public LeadershipHandoff? LastHandoff { get; init; }

    /// <summary>
    /// Raft's "more up to date" order (last term first, then last index): a member refuses its vote to a candidate
    /// whose log is older than its own.
    /// </summary>
    public bool HasNewerLogThan(MemberProgressReport other)
        => LastTerm > other.LastTerm || (LastTerm == other.LastTerm && LastIndex > other.LastIndex);
}

/// <summary>A report and when it arrived (<see cref="MonotonicTime.NowMs"/> on <paramref name="Clock"/>).</summary>
public sealed record ObservedProgress(MemberProgressReport Report, long ReceivedAtMs, TimeProvider Clock)
{
    public long AgeMs => Clock.NowMs() - ReceivedAtMs;
}

/// <summary>Source-generated JSON for the progress probe's reply.</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(MemberProgressReport))]
internal sealed partial class ProgressJsonContext : JsonSerializerContext;
