using System.Text.Json;
using GlobalZone.Consensus;
using GlobalZone.Contracts.Tls;

namespace GlobalZone.IntegrationTests.Security;

/// <summary>
/// Every member-to-member route a member serves, read from the running member's own endpoint table (the TEST-ONLY
/// route list, <c>GlobalZone:Testing:ListRoutes</c>, fetched with a member certificate) plus DotNext's Raft path, so a
/// new <c>/internal</c> route is covered by the mutual-TLS tests without anyone listing it here.
/// </summary>
/// <remarks>
/// Read over HTTP rather than from a host built in-process: that would need the ASP.NET shared framework in this test
/// project, which then stops copying the libraries <c>gz</c> (run from this folder as a real process) needs.
/// </remarks>
internal static class MemberOnlyRoutes
{
    public sealed record Route(string Method, string Path);

    /// <summary>The TEST-ONLY route list (GlobalZone.Server's RouteTableEndpoint).</summary>
    private const string RouteTable = "/internal/v1/testing/routes";

    /// <summary>The extra setting a cluster needs for <see cref="ListAsync"/>.</summary>
    public static KeyValuePair<string, string> Setting => new("Testing:ListRoutes", "true");

    public static async Task<IReadOnlyList<Route>> ListAsync(string memberUrl, string clusterName, string caFile, (string Cert, string Key) memberCertificate)
    {
        using var handler = new SocketsHttpHandler { SslOptions = ClusterTrust.ClientOptions(caFile, memberCertificate.Cert, memberCertificate.Key) };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, memberUrl.TrimEnd('/') + RouteTable);
        request.Headers.Add("X-GZ-Cluster", clusterName);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{RouteTable}: {(int)response.StatusCode} {body}");

        var routes = new List<Route>();
        foreach (var endpoint in JsonDocument.Parse(body).RootElement.EnumerateArray())
        {
            var pattern = endpoint.GetProperty("pattern").GetString()!;
            if (!ClusterNameGuard.GuardedPaths.Any(p => pattern.StartsWith(p.Value!, StringComparison.Ordinal)))
                continue;
            // Route parameters get a harmless value: the refusal must come before any handler looks at them.
            var path = System.Text.RegularExpressions.Regex.Replace(pattern, @"\{[^}]*\}", "x");
            foreach (var method in endpoint.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!).DefaultIfEmpty("GET"))
                routes.Add(new Route(method, path));
        }

        // DotNext's Raft endpoint is middleware, not a routed endpoint: its path is the guarded one (the
        // positive control in the tests shows a member is really served there).
        routes.Add(new Route("POST", RaftPath));
        return routes;
    }

    /// <summary>DotNext's default protocol path (member URLs carry no path of their own).</summary>
    public const string RaftPath = "/cluster-consensus/raft";
}
