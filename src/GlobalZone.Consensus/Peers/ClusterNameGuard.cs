using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace GlobalZone.Consensus;

/// <summary>
/// Keeps groups apart on the wire, as etcd's cluster-ID check on peer traffic does: every member-to-member request
/// carries the sender's cluster name, and a member refuses Raft and internal requests from another cluster (a
/// restored copy, a test cluster, a member whose configuration points at the wrong machines) before DotNext or
/// GlobalZone acts on them. The data folder's identity file (ClusterIdentityCheck) covers the other half: a
/// member never starts with another cluster's data. This is the sending half; the server refuses (see the host's
/// cluster-name check).
/// </summary>
public static class ClusterNameGuard
{
    public const string HeaderName = "X-GZ-Cluster";

    /// <summary>DotNext's Raft endpoint (the default protocol path for member URLs without a path) and GlobalZone's own.</summary>
    public static readonly PathString[] GuardedPaths = [new("/cluster-consensus"), new("/internal")];

    /// <summary>Stamps the cluster name on every request of the member-to-member HTTP client.</summary>
    public static IHttpClientBuilder AddClusterName(this IHttpClientBuilder peerClient, NodeOptions options)
        => peerClient.AddHttpMessageHandler(() => new StampingHandler(options.ClusterName));

    private sealed class StampingHandler(string clusterName) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.TryAddWithoutValidation(HeaderName, clusterName);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
