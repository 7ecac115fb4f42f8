using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api;
using GlobalZone.Server.Api.OpenApi;
using GlobalZone.Server.Auth;

namespace GlobalZone.Server.StatusPage;

/// <summary>
/// The status page every member serves: <c>GET /ui/</c> is one self-contained HTML file (no build step, no external
/// assets), and <c>GET /v1/status/feed</c> streams <see cref="StatusPageUpdate"/>s as server-sent events (event type
/// <c>status</c>) every <see cref="UpdateInterval"/>, written by ASP.NET Core's SSE result. The page is public (it holds
/// no data); the feed needs read access like <c>GET /v1/locks</c>, and lists only the locks the caller may read.
/// </summary>
internal static class StatusPageEndpoints
{
    /// <summary>The page; routing ignores a trailing slash, so <c>/ui/</c> serves it too (its URLs are absolute).</summary>
    public const string PageRoute = "/ui";
    public const string FeedRoute = "/v1/status/feed";
    public const string EventType = "status";

    /// <summary>How often the feed sends: a member going down shows within a probe interval and this.</summary>
    public static readonly TimeSpan UpdateInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>Most locks and leases one update lists (the counts say how many there are).</summary>
    public const int MostListed = 50;

    // A member is shown unreachable once its last progress report is older than this many probe intervals (plus a
    // margin for a slow reply): 750 ms probes give about a second and a half.
    private const double ReportsMissedBeforeDown = 1.5;
    private static readonly TimeSpan ReportMargin = TimeSpan.FromMilliseconds(250);

    private const string PageResource = "GlobalZone.Server.StatusPage.index.html";

    public static IServiceCollection AddStatusPage(this IServiceCollection services)
        => services.AddSingleton<MemberRequestCounter>();

    public static void MapStatusPage(this IEndpointRouteBuilder app)
    {
        var page = LoadPage();
        app.MapGet(PageRoute, () => Results.Bytes(page, "text/html; charset=utf-8")).AllowAnonymous()
            .Doc("Status page", "The status page: one self-contained HTML page showing the sites, members, roles, the leader, terms, indexes and lag, leadership hand-offs, locks, leases and rates, updated live from /v1/status/feed. Public (the page holds no data; it asks for a sign-in when the feed needs a token).")
            .Answers(200, "The page", "text/html");
        app.MapGet(FeedRoute, (HttpContext context) =>
        {
            // Ends with the request or when the member stops (an open stream would otherwise hold the shutdown up).
            var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            var ends = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
            context.Response.RegisterForDispose(ends);
            return TypedResults.ServerSentEvents(UpdatesAsync(context, ends.Token));
        }).RequireRead()
            .Doc("Status page", "The status page's feed: server-sent events of type 'status', one every 500 ms, each a JSON StatusPageUpdate (the cluster as GET /v1/cluster answers on this member, which members it can reach, the first 50 locks the caller may read and the first 50 leases with their counts, and rates: group writes/s, applied entries/s, reads/s and writes/s on this member). This member's view, not a linearizable read. Needs read access once auth is on.")
            .Answers(200, "An endless event stream; it ends when the member stops", "text/event-stream")
            .Fails(401, "No or a bad token (auth on)")
            .Fails(403, "The token's roles grant no read access");
    }

    private static async IAsyncEnumerable<SseItem<string>> UpdatesAsync(HttpContext context, [EnumeratorCancellation] CancellationToken token)
    {
        var services = context.RequestServices;
        var cluster = services.GetRequiredService<GlobalZoneCluster>();
        var requests = services.GetRequiredService<MemberRequestCounter>();
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        using var timer = new PeriodicTimer(UpdateInterval, time);
        var previous = Sample(cluster, requests, time);
        do
        {
            var current = Sample(cluster, requests, time);
            var update = Build(context, cluster, previous, current);
            previous = current;
            yield return new SseItem<string>(JsonSerializer.Serialize(update, ContractsJsonContext.Default.StatusPageUpdate), EventType);
        }
        while (await NextTickAsync(timer, token).ConfigureAwait(false));
    }

    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken token)
    {
        try
        {
            return await timer.WaitForNextTickAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false; // the page went away or the member stops: the stream just ends
        }
    }

    private readonly record struct Counters(long Timestamp, long Revision, long Applied, long Reads, long Writes);

    private static Counters Sample(GlobalZoneCluster cluster, MemberRequestCounter requests, TimeProvider time)
        => new(time.GetTimestamp(), cluster.State.Revision, cluster.State.AppliedIndex, requests.Reads, requests.Writes);

    private static StatusPageUpdate Build(HttpContext context, GlobalZoneCluster cluster, Counters before, Counters now)
    {
        var services = context.RequestServices;
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var status = ClusterEndpoints.Describe(cluster, services);
        var probeInterval = services.GetService<PeerProgressMonitor>()?.Interval ?? UpdateInterval;
        var downAfterMs = (probeInterval * ReportsMissedBeforeDown + ReportMargin).TotalMilliseconds;
        var reachable = status.Members.ToDictionary(
            m => m.Id,
            m => m.IsLocal || (m.ReportAgeMs is { } age && age <= downAfterMs && m.Status != "unavailable"));

        var locks = cluster.State.ListLocks("")
            .Where(l => KeyPermissions.Allows(context, l.Name, StateMachine.Auth.KeyAccess.Read))
            .ToList();
        var leases = cluster.State.ListLeases();
        var keeper = services.GetService<LeaseKeeper>();
        var seconds = time.GetElapsedTime(before.Timestamp, now.Timestamp).TotalSeconds;
        double Rate(long from, long to) => seconds > 0 ? Math.Round(Math.Max(0, to - from) / seconds, 1) : 0;
        return new StatusPageUpdate
        {
            At = time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            Cluster = status,
            Reachable = reachable,
            Locks = locks.Take(MostListed).Select(l => LockJson.Info(l)!).ToList(),
            LockCount = locks.Count,
            Leases = leases.OrderBy(l => l.Id).Take(MostListed).Select(l => new LeaseInfo
            {
                Id = l.Id,
                Ttl = l.TtlMs / 1000.0,
                Remaining = keeper?.Remaining(l.Id) is { } r ? Math.Round(r.TotalSeconds, 1) : null,
            }).ToList(),
            LeaseCount = leases.Count,
            Rates = new StatusPageRates
            {
                GroupWritesPerSecond = Rate(before.Revision, now.Revision),
                AppliedPerSecond = Rate(before.Applied, now.Applied),
                MemberReadsPerSecond = Rate(before.Reads, now.Reads),
                MemberWritesPerSecond = Rate(before.Writes, now.Writes),
            },
        };
    }

    private static byte[] LoadPage()
    {
        using var stream = typeof(StatusPageEndpoints).Assembly.GetManifestResourceStream(PageResource)
            ?? throw new InvalidOperationException($"The status page ({PageResource}) is not embedded in the server.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
