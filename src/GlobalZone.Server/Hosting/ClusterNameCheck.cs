using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// The receiving half of <see cref="ClusterNameGuard"/>: Raft and internal requests that do not carry this member's
/// cluster name are refused (403 <c>cluster-mismatch</c>) before DotNext or GlobalZone act on them.
/// </summary>
internal static partial class ClusterNameCheck
{
    public static IApplicationBuilder UseClusterNameGuard(this IApplicationBuilder app)
    {
        var clusterName = app.ApplicationServices.GetRequiredService<NodeOptions>().ClusterName;
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ClusterNameCheck).FullName!);
        var time = app.ApplicationServices.GetService<TimeProvider>() ?? TimeProvider.System;
        var lastWarning = 0L;
        return app.Use(async (context, next) =>
        {
            var sent = context.Request.Headers[ClusterNameGuard.HeaderName].ToString();
            if (!Array.Exists(ClusterNameGuard.GuardedPaths, p => context.Request.Path.StartsWithSegments(p))
                || string.Equals(sent, clusterName, StringComparison.Ordinal))
            {
                await next(context);
                return;
            }

            // One warning a minute at most: a foreign member retries many times a second.
            var now = time.NowMs();
            var last = Interlocked.Read(ref lastWarning);
            if (now - last > 60_000 && Interlocked.CompareExchange(ref lastWarning, now, last) == last)
                LogRefused(logger, sent.Length == 0 ? "(none)" : sent, clusterName, context.Connection.RemoteIpAddress?.ToString() ?? "?", context.Request.Path);
            await Problems.WriteAsync(context, StatusCodes.Status403Forbidden, ProblemTypes.ClusterMismatch, "Another cluster's member.",
                $"This member belongs to cluster '{clusterName}'; the request came from cluster '{sent}'.");
        });
    }

    [LoggerMessage(EventId = 1230, Level = LogLevel.Warning, Message = "Refused member-to-member traffic from cluster {SenderCluster} (this is {ClusterName}) from {RemoteAddress} to {Path}; is a member configured with the wrong addresses?")]
    private static partial void LogRefused(ILogger logger, string senderCluster, string clusterName, string remoteAddress, string path);
}
