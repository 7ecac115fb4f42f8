using System.Globalization;
using DotNext.Net.Cluster.Consensus.Raft.Extensions;
using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api.OpenApi;
using GlobalZone.Server.Auth;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>POST /v1/cluster/standby?holdMs=N</c> keeps this voter from campaigning (a leader steps down) for up to N ms;
/// <c>DELETE /v1/cluster/standby</c> ends that early. A standby member still votes and replicates, so putting every
/// voter but one in standby hands leadership to that one: this is how <c>gz leader transfer</c> works, since
/// DotNext has no transfer of its own. It is the operator's hold of <see cref="CampaignHold"/>, sharing the standby state with
/// leadership hand-offs. The hold always ends by itself, so a transfer that dies half-way cannot
/// leave the group without candidates. The witness is refused: its standby is managed by its hand-off logic.
/// </summary>
internal static class StandbyEndpoints
{
    private const int DefaultHoldMs = 5_000;
    private const int MaxHoldMs = 60_000;

    public static void MapStandbyApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/cluster/standby", EndpointDocs.Handler(context => EnterAsync(context))).RequireAdmin()
            .Doc("Cluster", "Keep this voter from campaigning (a leader steps down) for up to holdMs ms (admin). It still votes and replicates; the hold always ends by itself. Refused on the witness (409).")
            .Query("holdMs", null, "integer")
            .Answers(200, "this member's standby state: {standby, wasLeader, holdMs}")
            .Fails(400, "bad-request: holdMs is not a positive number")
            .Fails(409, "bad-request: the witness manages its own standby")
            .Fails(403, "permission-denied: the token's user lacks the root role");
        app.MapDelete("/v1/cluster/standby", EndpointDocs.Handler(context => LeaveAsync(context))).RequireAdmin()
            .Doc("Cluster", "End this voter's standby hold early (admin).")
            .Answers(200, "this member's standby state: {standby, reverted}")
            .Fails(409, "bad-request: the witness manages its own standby")
            .Fails(403, "permission-denied: the token's user lacks the root role");
    }

    private static async Task EnterAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        if (cluster.Directory.Self.IsWitness)
        {
            await Problems.WriteAsync(context, StatusCodes.Status409Conflict, ProblemTypes.BadRequest, "The witness manages its own standby mode.",
                "Only voters can be held in standby.");
            return;
        }

        var hold = DefaultHoldMs;
        if (context.Request.Query.TryGetValue("holdMs", out var text)
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out hold) || hold is < 1 or > MaxHoldMs))
        {
            await Problems.BadRequest(context, ProblemTypes.BadRequest, $"holdMs must be a whole number from 1 to {MaxHoldMs}.");
            return;
        }

        var standby = context.RequestServices.GetRequiredService<IStandbyModeSupport>();
        var wasLeader = cluster.IsLeader;
        await context.RequestServices.GetRequiredService<CampaignHold>().HoldForOperatorAsync(TimeSpan.FromMilliseconds(hold), context.RequestAborted);
        await KeyValueEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("standby"u8, standby.Standby);
            w.WriteBoolean("wasLeader"u8, wasLeader);
            w.WriteNumber("holdMs"u8, hold);
            w.WriteEndObject();
        });
    }

    private static async Task LeaveAsync(HttpContext context)
    {
        var cluster = context.RequestServices.GetRequiredService<GlobalZoneCluster>();
        if (cluster.Directory.Self.IsWitness)
        {
            await Problems.WriteAsync(context, StatusCodes.Status409Conflict, ProblemTypes.BadRequest, "The witness manages its own standby mode.",
                "Only voters can be held in standby.");
            return;
        }

        var standby = context.RequestServices.GetRequiredService<IStandbyModeSupport>();
        // Only the operator's hold is ended here; a hand-off hold in progress keeps the member in standby.
        var reverted = await context.RequestServices.GetRequiredService<CampaignHold>().EndOperatorHoldAsync(context.RequestAborted);
        await KeyValueEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("standby"u8, standby.Standby);
            w.WriteBoolean("reverted"u8, reverted);
            w.WriteEndObject();
        });
    }
}
