using System.Text.Json;
using DotNext.Net.Cluster;
using GlobalZone.Consensus;
using GlobalZone.Contracts;

namespace GlobalZone.Server.Api;

/// <summary><c>/v1/cluster</c> (the group as this member sees it), <c>/healthz</c> (alive), <c>/readyz</c> (in a group with a leader).</summary>
internal static class ClusterEndpoints
{
    public static void MapClusterApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/cluster", (HttpContext context) => StatusAsync(context));
        app.MapGet("/healthz", (HttpContext context) => KeyValueEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("status"u8, "alive"u8);
            w.WriteEndObject();
        }));
        app.MapGet("/readyz", (HttpContext context) => ReadyAsync(context));
    }

    public static ClusterStatus Describe(GlobalZoneCluster cluster)
    {
        var raft = cluster.Raft;
        var leader = cluster.Leader;
        var members = new List<MemberStatus>();
        foreach (var member in cluster.Directory.Members)
        {
            var peer = raft.Members.FirstOrDefault(m => cluster.Directory.Find(m.EndPoint)?.Id == member.Id);
            members.Add(new MemberStatus
            {
                Id = member.Id,
                Url = member.Url,
                Site = member.Site,
                Role = member.Role,
                IsWitness = member.IsWitness,
                IsLeader = leader?.Id == member.Id,
                IsLocal = member.Id == cluster.Directory.Self.Id,
                Status = peer?.Status switch
                {
                    ClusterMemberStatus.Available => "available",
                    ClusterMemberStatus.Unavailable => "unavailable",
                    _ => "unknown",
                },
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
        };
    }

    private static Task StatusAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, Describe(cluster), ContractsJsonContext.Default.ClusterStatus, context.RequestAborted);
    }

    private static Task ReadyAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        var leader = cluster.Leader;
        var ready = leader is not null;
        return KeyValueEndpoints.WriteJsonAsync(context, ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, w =>
        {
            w.WriteStartObject();
            w.WriteString("status"u8, ready ? "ready" : "no-leader");
            if (leader is not null)
                w.WriteString("leader"u8, leader.Id);
            w.WriteNumber("appliedIndex"u8, cluster.State.AppliedIndex);
            w.WriteEndObject();
        });
    }
}
