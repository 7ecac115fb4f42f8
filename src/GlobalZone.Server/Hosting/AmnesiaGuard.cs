using DotNext.Net.Cluster.Consensus.Raft;
using GlobalZone.Consensus;
using GlobalZone.Consensus.Tls;
using GlobalZone.Contracts;
using GlobalZone.Storage.DataFolder;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// Keeps a member that starts on an empty data folder, under an identity the running group already has (a wiped disk,
/// an in-place replacement), from voting before it has caught up. Such a member has forgotten the entries it
/// acknowledged and the vote it cast: voting with an empty log it could elect a leader that lacks committed entries, or
/// vote twice in one term. Until it has learned, from a leader, a commit index at least as high as the highest one its
/// peers reported when it started, it answers every vote and pre-vote request with 503 (the candidate counts it as
/// unavailable); it still takes AppendEntries and snapshots, so it catches up as any follower does.
/// </summary>
/// <remarks>
/// An empty folder alone does not mean amnesia: every member of a new group starts empty. The group is known to exist
/// when a peer reports a commit index above 0; members of a brand-new group see 0 and vote at once.
/// </remarks>
internal sealed partial class AmnesiaGuard
{
    private const string MessageTypeHeader = "X-Raft-Message-Type";
    private readonly ILogger logger;
    private readonly long watermark;
    private volatile bool lifted;

    private AmnesiaGuard(long watermark, ILogger logger)
    {
        this.watermark = watermark;
        this.logger = logger;
        lifted = watermark <= 0;
    }

    /// <summary>
    /// Decides at start, before the data folder is touched: an empty folder of a member that is not joining, whose peers
    /// report a commit index above 0, is guarded.
    /// </summary>
    public static AmnesiaGuard Probe(NodeOptions options, MemberCertificates? certificates, ILogger logger)
    {
        var emptyStart = !File.Exists(DataFolderFormat.PathIn(options.DataDirectory))
            && (!Directory.Exists(options.DataDirectory) || !Directory.EnumerateFileSystemEntries(options.DataDirectory).Any());
        if (!emptyStart || options.Join)
            return new AmnesiaGuard(0, logger);

        using var http = new HttpClient(new SocketsHttpHandler { SslOptions = certificates?.PeerClientOptions() ?? new() }) { Timeout = TimeSpan.FromSeconds(2) };
        var reports = options.Members
            .Where(m => m.Id != options.MemberId)
            .Select(async peer =>
            {
                try
                {
                    var status = await http.GetFromJsonAsync<ClusterStatus>(new Uri(new Uri(peer.Url), "/v1/cluster")).ConfigureAwait(false);
                    return status is not null && status.ClusterName == options.ClusterName ? status.CommitIndex : 0;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or NotSupportedException)
                {
                    return 0;
                }
            })
            .ToArray();
        var watermark = Task.WhenAll(reports).GetAwaiter().GetResult().DefaultIfEmpty(0).Max();
        var guard = new AmnesiaGuard(watermark, logger);
        if (watermark > 0)
            LogGuarded(logger, watermark);
        return guard;
    }

    /// <summary>True while this member must not vote.</summary>
    public bool Active => !lifted;

    public void Apply(IApplicationBuilder app)
    {
        if (lifted)
            return;
        var cluster = app.ApplicationServices.GetRequiredService<IRaftCluster>();
        app.Use(async (context, next) =>
        {
            // Checked on every Raft message (the leader's AppendEntries bring the commit index), not only on votes: by
            // the time a vote is asked for, the leader is usually gone.
            if (!lifted && context.Request.Headers[MessageTypeHeader].ToString() is { Length: > 0 } type && !TryLift(cluster)
                && type is "RequestVote" or "PreVote")
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }

            await next(context);
        });
    }

    /// <summary>Lifts the guard once the commit index this member learned (only a leader teaches it) reaches the watermark.</summary>
    private bool TryLift(IRaftCluster cluster)
    {
        if (cluster.AuditTrail.LastCommittedEntryIndex < watermark)
            return false;
        lifted = true;
        LogLifted(logger, cluster.AuditTrail.LastCommittedEntryIndex, watermark);
        return true;
    }

    [LoggerMessage(EventId = 2311, Level = LogLevel.Warning, Message = "Started on an empty data folder while the group has committed up to index {Watermark}: this member will not vote until it has caught up that far (it has forgotten what it acknowledged and voted)")]
    private static partial void LogGuarded(ILogger logger, long watermark);

    [LoggerMessage(EventId = 2312, Level = LogLevel.Information, Message = "Caught up to commit index {CommitIndex} (at least {Watermark}): votes again")]
    private static partial void LogLifted(ILogger logger, long commitIndex, long watermark);
}
