using System.Globalization;
using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus.Log;

/// <summary>
/// Answers "replicated" to an InstallSnapshot this member already holds, where DotNext would refuse it for good.
/// </summary>
/// <remarks>
/// <para>
/// DotNext 6.12's follower refuses any InstallSnapshot at or below its commit index (<c>RaftCluster.InstallSnapshotAsync</c>),
/// and its leader, on a refusal, moves the member's next index back by one and sends the same snapshot again (the
/// snapshot still covers that index): a loop with no way out. It starts whenever the leader misses the answer to the
/// install that succeeded (its RPC timeout ran out first; the install also made the entry durable, which takes a disk
/// flush), so a member caught up by snapshot was left behind for good.
/// </para>
/// <para>
/// This middleware sits before DotNext's Raft endpoint and answers such a request as DotNext would have answered the
/// install itself: the member's committed log holds the snapshot's index with the snapshot's term (committed entries
/// are the same on every member, so the leader's entries up to that index are this member's), the sender's term is not
/// older than this member's. The leader then sets the member's next index after the snapshot and goes on with
/// AppendEntries. Wire format (DotNext.AspNetCore.Cluster 6.12, <c>InstallSnapshotMessage</c>/<c>RaftHttpMessage</c>):
/// request headers <c>X-Raft-Message-Type: InstallSnapshot</c>, <c>X-Raft-Term</c>, <c>X-Raft-Snapshot-Index</c>,
/// <c>X-Raft-Snapshot-Term</c>; response 200 with header <c>X-Raft-Term</c> and the <c>HeartbeatResult</c> name as body.
/// </para>
/// </remarks>
public static partial class RepeatedSnapshotAcknowledgement
{
    public static IApplicationBuilder UseRepeatedSnapshotAcknowledgement(this IApplicationBuilder app)
    {
        var log = app.ApplicationServices.GetRequiredService<FasterRaftLog>();
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RepeatedSnapshotAcknowledgement).FullName!);
        return app.Use(async (context, next) =>
        {
            var headers = context.Request.Headers;
            if (HttpMethods.IsPost(context.Request.Method)
                && context.Request.Path.StartsWithSegments("/cluster-consensus")
                && headers["X-Raft-Message-Type"] == "InstallSnapshot"
                && long.TryParse(headers["X-Raft-Term"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var senderTerm)
                && long.TryParse(headers["X-Raft-Snapshot-Index"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var snapshotIndex)
                && long.TryParse(headers["X-Raft-Snapshot-Term"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var snapshotTerm))
            {
                var ownTerm = ((IPersistentState)log).Term;
                if (senderTerm >= ownTerm && senderTerm >= snapshotTerm && log.HoldsCommitted(snapshotIndex, snapshotTerm))
                {
                    LogAcknowledged(logger, snapshotIndex, snapshotTerm, log.LastCommittedEntryIndex);
                    context.Response.StatusCode = StatusCodes.Status200OK;
                    context.Response.Headers["X-Raft-Term"] = ownTerm.ToString(CultureInfo.InvariantCulture);
                    await context.Response.WriteAsync(senderTerm != snapshotTerm ? "Replicated" : "ReplicatedWithLeaderTerm", context.RequestAborted).ConfigureAwait(false);
                    return;
                }
            }

            await next(context).ConfigureAwait(false);
        });
    }

    [LoggerMessage(EventId = 1306, Level = LogLevel.Information, Message = "InstallSnapshot at index {Index} (term {Term}) answered as replicated: this member's committed log already holds it (commit index {CommitIndex}); the leader goes on with the entries after it")]
    private static partial void LogAcknowledged(ILogger logger, long index, long term, long commitIndex);
}
