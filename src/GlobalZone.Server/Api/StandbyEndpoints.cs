using System.Globalization;
using DotNext.Net.Cluster.Consensus.Raft.Extensions;
using GlobalZone.Consensus;
using GlobalZone.Contracts;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>POST /v1/cluster/standby?holdMs=N</c> keeps this voter from campaigning (a leader steps down) for up to N ms;
/// <c>DELETE /v1/cluster/standby</c> ends that early. A standby member still votes and replicates, so putting every
/// voter but one in standby hands leadership to that one: this is how <c>gz leader transfer</c> works, since
/// DotNext has no transfer of its own. The hold always ends by itself, so a transfer that dies half-way cannot
/// leave the group without candidates. The witness is refused: its standby is managed by its hand-off logic.
/// </summary>
internal static partial class StandbyEndpoints
{
    private const int DefaultHoldMs = 5_000;
    private const int MaxHoldMs = 60_000;
    private static readonly Lock HoldGate = new();
    private static CancellationTokenSource? currentHold;

    public static void MapStandbyApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/cluster/standby", (HttpContext context) => EnterAsync(context));
        app.MapDelete("/v1/cluster/standby", (HttpContext context) => LeaveAsync(context));
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
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StandbyEndpoints));
        var wasLeader = cluster.IsLeader;
        var release = new CancellationTokenSource();
        lock (HoldGate)
        {
            currentHold?.Cancel();
            currentHold = release;
        }

        await standby.EnableStandbyModeAsync(context.RequestAborted);
        LogHeld(logger, hold, wasLeader);
        _ = ReleaseLaterAsync(standby, release, TimeSpan.FromMilliseconds(hold), logger);
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
        CancellationTokenSource? hold;
        lock (HoldGate)
        {
            hold = currentHold;
            currentHold = null;
        }

        // Only a hold this endpoint started is undone here.
        var reverted = hold is not null && await standby.RevertToNormalModeAsync(context.RequestAborted);
        hold?.Cancel();
        await KeyValueEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("standby"u8, standby.Standby);
            w.WriteBoolean("reverted"u8, reverted);
            w.WriteEndObject();
        });
    }

    private static async Task ReleaseLaterAsync(IStandbyModeSupport standby, CancellationTokenSource hold, TimeSpan after, ILogger logger)
    {
        try
        {
            await Task.Delay(after, hold.Token);
        }
        catch (OperationCanceledException)
        {
            return; // ended early, or replaced by a newer hold
        }

        lock (HoldGate)
        {
            if (!ReferenceEquals(currentHold, hold))
                return;
            currentHold = null;
        }

        try
        {
            await standby.RevertToNormalModeAsync();
            LogReleased(logger);
        }
        catch (ObjectDisposedException)
        {
            // shutting down
        }
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information, Message = "Held in standby for up to {HoldMs} ms (was leader: {WasLeader})")]
    private static partial void LogHeld(ILogger logger, int holdMs, bool wasLeader);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Information, Message = "Standby hold expired; campaigning again")]
    private static partial void LogReleased(ILogger logger);
}
