using GlobalZone.Consensus;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace GlobalZone.IntegrationTests.Security;

/// <summary>
/// Every member-to-member route a member serves, read from the server's own endpoint table (a member host built
/// in-process on a scratch folder, never started) plus DotNext's Raft path, so a new <c>/internal</c> route is
/// covered by the mutual-TLS tests without anyone listing it here.
/// </summary>
internal static class MemberOnlyRoutes
{
    public sealed record Route(string Method, string Path);

    private static readonly Lazy<Task<IReadOnlyList<Route>>> All = new(ReadAsync);

    public static Task<IReadOnlyList<Route>> ListAsync() => All.Value;

    private static async Task<IReadOnlyList<Route>> ReadAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), "gz-routes-" + Guid.NewGuid().ToString("N")[..8]);
        var app = GlobalZone.Server.Hosting.NodeHost.Build(
        [
            "--GlobalZone:MemberId=solo",
            "--GlobalZone:ClusterName=routes",
            $"--GlobalZone:DataDirectory={folder}",
            "--GlobalZone:Members:0:Id=solo",
            "--GlobalZone:Members:0:Url=http://127.0.0.1:1",
            "--GlobalZone:Members:0:Site=dc1",
        ]);
        try
        {
            var routes = new List<Route>();
            foreach (var endpoint in ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>())
            {
                var pattern = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
                if (!ClusterNameGuard.GuardedPaths.Any(p => pattern.StartsWith(p.Value!, StringComparison.Ordinal)))
                    continue;
                // Route parameters get a harmless value: the refusal must come before any handler looks at them.
                var path = System.Text.RegularExpressions.Regex.Replace(pattern, @"\{[^}]*\}", "x");
                foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                    routes.Add(new Route(method, path));
            }

            // DotNext's Raft endpoint is middleware, not a routed endpoint: its path is the guarded one (the
            // positive control in the tests shows a member is really served there).
            routes.Add(new Route("POST", RaftPath));
            return routes;
        }
        finally
        {
            await app.DisposeAsync();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A scratch folder left in temp is harmless.
            }
        }
    }

    /// <summary>DotNext's default protocol path (member URLs carry no path of their own).</summary>
    public const string RaftPath = "/cluster-consensus/raft";
}
