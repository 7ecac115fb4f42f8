using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>
/// Keeps groups apart on the wire, as etcd's cluster-ID check on peer traffic does: every member-to-member request
/// carries the sender's cluster name, and a member refuses Raft and internal requests from another cluster (a
/// restored copy, a test cluster, a member whose configuration points at the wrong machines) before DotNext or
/// GlobalZone acts on them. The data folder's identity file (ClusterIdentityCheck) covers the other half: a
/// member never starts with another cluster's data.
/// </summary>
public static partial class ClusterNameGuard
{
    public const string HeaderName = "X-GZ-Cluster";

    /// <summary>DotNext's Raft endpoint (the default protocol path for member URLs without a path) and GlobalZone's own.</summary>
    private static readonly PathString[] GuardedPaths = [new("/cluster-consensus"), new("/internal")];

    /// <summary>Stamps the cluster name on every request of the member-to-member HTTP client.</summary>
    public static IHttpClientBuilder AddClusterName(this IHttpClientBuilder peerClient, NodeOptions options)
        => peerClient.AddHttpMessageHandler(() => new StampingHandler(options.ClusterName));

    /// <summary>Refuses member-to-member requests that do not carry this member's cluster name (403, problem body).</summary>
    public static IApplicationBuilder UseClusterNameGuard(this IApplicationBuilder app)
    {
        var clusterName = app.ApplicationServices.GetRequiredService<NodeOptions>().ClusterName;
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ClusterNameGuard).FullName!);
        var lastWarning = 0L;
        return app.Use(async (context, next) =>
        {
            if (!Array.Exists(GuardedPaths, p => context.Request.Path.StartsWithSegments(p)))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            var sent = context.Request.Headers[HeaderName].ToString();
            if (string.Equals(sent, clusterName, StringComparison.Ordinal))
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            // One warning a minute at most: a foreign member retries many times a second.
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref lastWarning);
            if (now - last > 60_000 && Interlocked.CompareExchange(ref lastWarning, now, last) == last)
                LogRefused(logger, sent.Length == 0 ? "(none)" : sent, clusterName, context.Connection.RemoteIpAddress?.ToString() ?? "?", context.Request.Path);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = "application/problem+json";
            var detail = System.Text.Json.JsonEncodedText.Encode($"This member belongs to cluster '{clusterName}'; the request came from cluster '{sent}'.");
            await context.Response.WriteAsync(
                $$"""{"type":"https://globalzone.dev/problems/cluster-mismatch","title":"Another cluster's member.","status":403,"detail":"{{detail}}"}""",
                context.RequestAborted).ConfigureAwait(false);
        });
    }

    private sealed class StampingHandler(string clusterName) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.TryAddWithoutValidation(HeaderName, clusterName);
            return base.SendAsync(request, cancellationToken);
        }
    }

    [LoggerMessage(EventId = 1230, Level = LogLevel.Warning, Message = "Refused member-to-member traffic from cluster {SenderCluster} (this is {ClusterName}) from {RemoteAddress} to {Path}; is a member configured with the wrong addresses?")]
    private static partial void LogRefused(ILogger logger, string senderCluster, string clusterName, string remoteAddress, string path);
}
