using GlobalZone.Consensus;
using Microsoft.AspNetCore.Http.Features;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// Lifts Kestrel's request body limit (sized for client writes) on DotNext's Raft route. An AppendEntries call carries
/// every entry a member lacks after the snapshot, in one request (DotNext 6.12 does not split it), so its size follows
/// the write load, not a client limit; checkpoints by bytes (<c>CheckpointEveryMiB</c>) keep it moderate. Only
/// members send there, and the cluster-name check runs first. Snapshots themselves no longer travel on this route.
/// </summary>
internal static class RaftBodyLimit
{
    public static IApplicationBuilder UseUnlimitedRaftBodies(this IApplicationBuilder app)
    {
        // DotNext's default protocol path (member URLs carry none), the one the cluster-name check guards.
        var protocolPath = ClusterNameGuard.GuardedPaths[0];
        return app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(protocolPath)
                && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                limit.MaxRequestBodySize = null;
            return next(context);
        });
    }
}
