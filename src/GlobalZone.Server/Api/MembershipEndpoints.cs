using System.Text.Json;
using GlobalZone.Consensus;
using GlobalZone.Contracts;
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
        app.MapGet("/v1/members", (HttpContext context) => ListAsync(context)).RequireAdmin();
        app.MapPost("/v1/members", (HttpContext context) => AddAsync(context)).RequireAdmin();
        app.MapDelete("/v1/members/{id}", (HttpContext context, string id) => RemoveAsync(context, id)).RequireAdmin();
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
