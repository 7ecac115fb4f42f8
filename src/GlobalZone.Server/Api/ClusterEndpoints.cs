using System.Text.Json;
using DotNext.Net.Cluster;
using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api.OpenApi;
using GlobalZone.Server.Hosting;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>/v1/cluster</c> (the group as this member sees it), and the health checks <c>/healthz</c> (alive) and <c>/readyz</c>
/// (can serve clients; see <see cref="Hosting.MemberHealth"/>).
/// </summary>
internal static class ClusterEndpoints
{
    public static void MapClusterApi(this IEndpointRouteBuilder app)
    {
        // Public: clients discover members and the leader here before they can authenticate (redirects name the
        // leader anyway); it holds no keys. Health probes are public as everywhere.
        app.MapGet("/v1/cluster", EndpointDocs.Handler(context => StatusAsync(context))).AllowAnonymous()
            .Doc("Cluster", "The group as this member sees it.")
            .Answers<ClusterStatus>(200, "ClusterStatus");
        app.MapMemberHealth();
    }

    /// <param name="cluster">The local member's view of consensus.</param>
    /// <param name="services">When given, adds what the progress probes know: each member's log progress and lag, the last hand-off.</param>
    public static ClusterStatus Describe(GlobalZoneCluster cluster, IServiceProvider? services = null)
    {
        var raft = cluster.Raft;
        var leader = cluster.Leader;
        var members = new List<MemberStatus>();
        var progress = services?.GetService<PeerProgressMonitor>();
        var reports = progress?.Latest ?? new Dictionary<string, ObservedProgress>();
        var ownLastIndex = raft.AuditTrail.LastEntryIndex;
        // Lag is measured against the highest commit index anyone reported: a stale follower's own commit index says little.
        var clusterCommit = reports.Values.Select(r => r.Report.CommitIndex).Append(raft.AuditTrail.LastCommittedEntryIndex).Max();
        foreach (var member in cluster.Directory.Members)
        {
            var peer = raft.Members.FirstOrDefault(m => cluster.Directory.Find(m.EndPoint)?.Id == member.Id);
            var isLocal = member.Id == cluster.Directory.Self.Id;
            var seen = isLocal || progress is null ? null : reports.GetValueOrDefault(member.Id);
            long? lastLogIndex = isLocal ? ownLastIndex : seen?.Report.LastIndex;
            members.Add(new MemberStatus
            {
                Id = member.Id,
                Url = member.Url,
                Site = member.Site,
                Role = member.Role,
                IsWitness = member.IsWitness,
                IsLeader = leader?.Id == member.Id,
                IsLocal = isLocal,
                Status = peer?.Status switch
                {
                    ClusterMemberStatus.Available => "available",
                    ClusterMemberStatus.Unavailable => "unavailable",
                    _ => "unknown",
                },
                LastLogIndex = lastLogIndex,
                AppliedIndex = isLocal ? cluster.State.AppliedIndex : seen?.Report.AppliedIndex,
                ReplicationLag = lastLogIndex is { } last ? Math.Max(0, clusterCommit - last) : null,
                ReportAgeMs = isLocal ? 0 : seen?.AgeMs,
            });
        }

        return new ClusterStatus
        {
            ClusterName = cluster.ClusterName,
            MemberId = cluster.Directory.Self.Id,
            Site = cluster.Directory.Self.Site,
            Role = cluster.Directory.Self.Role,
            LeaderId = leader?.Id,
            LeaderUrl = leader?.Url,
            Term = raft.AuditTrail.Term,
            CommitIndex = raft.AuditTrail.LastCommittedEntryIndex,
            AppliedIndex = cluster.State.AppliedIndex,
            Revision = cluster.State.Revision,
            SnapshotIndex = cluster.State.SnapshotIndex,
            Members = members,
            SnapshotTransfer = cluster.StateMachine.SnapshotReceiver.Progress is { Running: true } transfer
                ? new SnapshotTransferStatus { SnapshotId = transfer.SnapshotId, ReceivedBytes = transfer.Received, TotalBytes = transfer.Size }
                : null,
            IsWitness = cluster.Directory.Self.IsWitness,
            PreferredLeaderSite = services?.GetService<NodeOptions>()?.PreferredLeaderSite,
            LastHandoff = LeadershipHandoffJournal.Newest(
                reports.Values.Select(r => r.Report.LastHandoff).Append(services?.GetService<LeadershipHandoffJournal>()?.Last)),
        };
    }

    private static Task StatusAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, Describe(cluster, context.RequestServices), ContractsJsonContext.Default.ClusterStatus, context.RequestAborted);
    }
}
