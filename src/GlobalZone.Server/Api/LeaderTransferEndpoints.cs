using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api.OpenApi;
using GlobalZone.Server.Auth;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>POST /v1/cluster/leader/transfer?to=MEMBER</c>, on the leader: moves leadership to MEMBER by Raft's TimeoutNow
/// (see <see cref="LeadershipTransfer"/>): MEMBER catches up, the leader steps down and MEMBER campaigns at once, so
/// writes stall for a round trip or two instead of an election timeout. This is what <c>gz leader transfer</c> calls.
/// Answers 200 with the new leader, 421 (with the leader) on a member that does not lead, 400/404 for a bad target,
/// 503 when the target did not catch up or was not seen leading in time.
/// </summary>
internal static class LeaderTransferEndpoints
{
    public static void MapLeaderTransferApi(this IEndpointRouteBuilder app)
        => app.MapPost("/v1/cluster/leader/transfer", EndpointDocs.Handler(context => TransferAsync(context))).RequireAdmin()
            .Doc("Cluster", "On the leader (admin): move leadership to member `to` by Raft's TimeoutNow: the target catches up, the leader steps down, the target campaigns at once (writes stall for a round trip or two, not an election).")
            .Query("to", "the target member's id (a voter)", "string", required: true)
            .Answers(200, "leadership moved (or was already there): {leader, term, moved}")
            .Fails(400, "bad-request: no target, or not a voter")
            .Fails(404, "member-not-found")
            .Fails(421, "not-leader: ask the leader (X-GZ-Leader names it)")
            .Fails(501, "unavailable: leadership transfer is not available in this build")
            .Fails(503, "unavailable: the target did not catch up or was not seen leading in time")
            .Fails(403, "permission-denied: the token's user lacks the root role");

    private static async Task TransferAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        var transfer = context.RequestServices.GetRequiredService<LeadershipTransfer>();
        var to = context.Request.Query["to"].ToString();
        if (to.Length == 0)
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, "Name the voter that should lead: ?to=MEMBER.");
            return;
        }

        var target = cluster.Directory.Members.FirstOrDefault(m => m.Id == to);
        if (target is null)
        {
            await Problems.WriteAsync(context, StatusCodes.Status404NotFound, ProblemTypes.MemberNotFound, "No such member.",
                $"No member '{to}' (members: {string.Join(", ", cluster.Directory.Members.Select(m => m.Id))}).");
            return;
        }

        if (target.IsWitness)
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, $"{to} is the witness; it never leads for long. Choose a voter.");
            return;
        }

        if (!cluster.IsLeader)
        {
            await Problems.WriteAsync(context, StatusCodes.Status421MisdirectedRequest, ProblemTypes.NotLeader, "Leadership is transferred by the leader.",
                "Send the request to the leader.", cluster.Leader?.Url);
            return;
        }

        var from = cluster.Directory.Self.Id;
        var term = cluster.Raft.AuditTrail.Term;
        if (target.Id == from)
        {
            await WriteAsync(context, from, term, moved: false);
            return;
        }

        var outcome = await transfer.TransferAsync(to, LeadershipHandoffKinds.Operator, context.RequestAborted);
        switch (outcome)
        {
            case TransferOutcome.Done:
                await WriteAsync(context, to, cluster.Raft.AuditTrail.Term, moved: true);
                return;
            case TransferOutcome.NotLeader:
                await Problems.WriteAsync(context, StatusCodes.Status421MisdirectedRequest, ProblemTypes.NotLeader, "Leadership is transferred by the leader.",
                    "This member stopped leading before the transfer began.", cluster.Leader?.Url);
                return;
            case TransferOutcome.Unsupported:
                await Problems.WriteAsync(context, StatusCodes.Status501NotImplemented, ProblemTypes.Unavailable, "Leadership transfer is not available.",
                    "This build's Raft library lacks what TimeoutNow needs; use the standby hold (POST /v1/cluster/standby) on the other voters.");
                return;
            default:
                await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, "Leadership did not move as asked.",
                    outcome == TransferOutcome.NotCaughtUp
                        ? $"{to} did not catch up in time; {from} still leads."
                        : $"{from} stepped down, but {to} was not seen leading in time; an ordinary election follows.");
                return;
        }
    }

    private static Task WriteAsync(HttpContext context, string leader, long term, bool moved)
        => KeyValueEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("leader"u8, leader);
            w.WriteNumber("term"u8, term);
            w.WriteBoolean("moved"u8, moved);
            w.WriteEndObject();
        });
}
