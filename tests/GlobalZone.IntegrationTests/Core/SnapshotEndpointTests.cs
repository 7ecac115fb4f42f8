using System.Net;
using System.Text.Json;
using GlobalZone.Consensus;

namespace GlobalZone.IntegrationTests.Core;

/// <summary>
/// The member-to-member snapshot route answers bad or unknown ids with problem+json (never a 500), and, like every
/// internal route, refuses requests that do not carry the cluster's name.
/// </summary>
public sealed class SnapshotEndpointTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Bad_unknown_and_foreign_snapshot_requests_get_clear_4xx_problems()
    {
        await using var cluster = await TestCluster.StartAsync("snapshot-endpoint", "2+1+0", output);
        var leader = await cluster.WaitForLeaderAsync();
        // Member-to-member routes: with TLS on only a member's certificate gets past mutual TLS to the checks under test.
        using var client = new HttpClient(cluster.CreatePeerHandler(leader.Id)) { BaseAddress = new Uri(leader.Url) };
        var clusterName = "test-snapshot-endpoint";

        async Task ExpectAsync(string path, string? name, HttpStatusCode status, string problemType)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (name is not null)
                request.Headers.Add(ClusterNameGuard.HeaderName, name);
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"GET {path} answered {(int)response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.EndsWith("/" + problemType, JsonDocument.Parse(body).RootElement.GetProperty("type").GetString());
        }

        await ExpectAsync(InternalRoutes.Snapshots + "/..%2F..%2Fetc%2Fpasswd", clusterName, HttpStatusCode.BadRequest, "bad-request");
        await ExpectAsync(InternalRoutes.Snapshots + "/snap-1-1-zz", clusterName, HttpStatusCode.BadRequest, "bad-request");
        await ExpectAsync(InternalRoutes.Snapshots + "/snap-5-1-0123456789abcdef0123456789abcdef", clusterName, HttpStatusCode.NotFound, "not-found");
        await ExpectAsync(InternalRoutes.Snapshots + "/snap-5-1-0123456789abcdef0123456789abcdef", null, HttpStatusCode.Forbidden, "cluster-mismatch");
        await ExpectAsync(InternalRoutes.Snapshots + "/snap-5-1-0123456789abcdef0123456789abcdef", "another-cluster", HttpStatusCode.Forbidden, "cluster-mismatch");
    }
}
