using System.Text.Json;
using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api.OpenApi;
using GlobalZone.Server.Auth;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>POST /v1/members</c> adds a member, <c>DELETE /v1/members/{id}</c> removes one; both on the leader, one change
/// at a time (see <see cref="MembershipChanges"/>). Another member answers 421 with the leader's URL.
/// <c>GET /v1/members</c> lists the current membership as this member sees it.
/// </summary>
internal static class MembershipEndpoints
{
    public static void MapMembershipApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/members", EndpointDocs.Handler(context => ListAsync(context))).RequireAdmin()
            .Doc("Membership", "The members of the current Raft configuration, as this member sees them.")
            .Answers<IReadOnlyList<MemberStatus>>(200, "members");
        app.MapPost("/v1/members", EndpointDocs.Handler(context => AddAsync(context))).RequireAdmin()
            .Doc("Membership", "Add a member (on the leader, one change at a time). Start it first with GlobalZone:Join=true; id, site and role, when given, must match what it reports. The leader catches it up (snapshot and log), then commits the new membership.")
            .Body<MemberAddRequest>()
            .Answers<MembershipChange>(200, "added")
            .Fails(400, "invalid request")
            .Fails(409, "membership-conflict: already a member, identity mismatch, another change running")
            .Fails(421, "not-leader: send it to the leader (problem.leader)")
            .Fails(503, "member-unavailable: unreachable or did not catch up");
        app.MapDelete("/v1/members/{id}", (HttpContext context, string id) => RemoveAsync(context, id)).RequireAdmin()
            .Doc("Membership", "Remove a member (on the leader; it may be down). The leader itself cannot be removed: move leadership first.")
            .Answers<MembershipChange>(200, "removed")
            .Fails(404, "member-not-found")
            .Fails(409, "membership-conflict: the leader, the last voter, another change running")
            .Fails(421, "not-leader");
    }

    private static Task ListAsync(HttpContext context)
    {
        var status = ClusterEndpoints.Describe(context.RequestServices.GetRequiredService<GlobalZoneCluster>(), context.RequestServices);
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, status.Members, ContractsJsonContext.Default.IReadOnlyListMemberStatus, context.RequestAborted);
    }

    private static async Task AddAsync(HttpContext context)
    {
        var request = await RequestJson.ReadAsync(context, RequestJsonContext.Default.MemberAddRequest, RequestJson.EnvelopeBytes);
        if (request is null)
            return;
        if (request.Role is { } role && role is not (MemberRoles.Voter or MemberRoles.Witness))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, $"role must be '{MemberRoles.Voter}' or '{MemberRoles.Witness}'.");
            return;
        }

        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, "url must be an absolute http(s) URL.");
            return;
        }

        var changes = context.RequestServices.GetRequiredService<MembershipChanges>();
        await ChangeAsync(context, "added", () => changes.AddAsync(request.Url, new MemberOptions { Id = request.Id ?? "", Site = request.Site ?? "", Role = request.Role ?? "" }, context.RequestAborted));
    }

    private static Task RemoveAsync(HttpContext context, string id)
    {
        var changes = context.RequestServices.GetRequiredService<MembershipChanges>();
        return ChangeAsync(context, "removed", () => changes.RemoveAsync(id, context.RequestAborted));
    }

    private static async Task ChangeAsync(HttpContext context, string change, Func<Task<MemberOptions>> apply)
    {
        MemberOptions member;
        try
        {
            member = await apply();
        }
        catch (MembershipChangeException e)
        {
            var (status, type, title) = e.Refusal switch
            {
                MembershipRefusal.NotLeader => (StatusCodes.Status421MisdirectedRequest, ProblemTypes.NotLeader, "Membership changes are made on the leader."),
                MembershipRefusal.NotFound => (StatusCodes.Status404NotFound, ProblemTypes.MemberNotFound, "No such member."),
                MembershipRefusal.Unavailable => (StatusCodes.Status503ServiceUnavailable, ProblemTypes.MemberUnavailable, "The member could not be added."),
                _ => (StatusCodes.Status409Conflict, ProblemTypes.MembershipConflict, "The change contradicts the membership."),
            };
            await Problems.WriteAsync(context, status, type, title, e.Message, e.LeaderUrl);
            return;
        }

        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        var members = ClusterEndpoints.Describe(cluster, context.RequestServices).Members;
        var body = new MembershipChange
        {
            Change = change,
            Member = members.FirstOrDefault(m => m.Id == member.Id)
                ?? new MemberStatus { Id = member.Id, Url = member.Url, Site = member.Site, Role = member.Role, IsWitness = member.IsWitness, IsLeader = false, IsLocal = false },
            Members = members,
        };
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, body, ContractsJsonContext.Default.MembershipChange, context.RequestAborted);
    }
}
