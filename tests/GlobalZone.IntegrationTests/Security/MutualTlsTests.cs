using System.Net;
using System.Text.Json;
using GlobalZone.ClusterRunner.Tls;
using GlobalZone.Contracts.Tls;

namespace GlobalZone.IntegrationTests.Security;

/// <summary>
/// With TLS on, every member-to-member route (DotNext's Raft endpoint and each <c>/internal</c> route in the server's
/// endpoint table) serves only a connection whose client certificate chains to the cluster CA and names a current
/// member; anything else gets 403 <c>peer-not-authenticated</c> before a handler runs. The client API stays open to
/// clients without a certificate.
/// </summary>
public sealed class MutualTlsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task MemberOnlyRoutesRefuseEveryCertificateButACurrentMembers()
    {
        await using var cluster = await TestCluster.StartAsync("mtls", "2+1+0", output,
            configure: s => TlsTestSettings.Apply(s) with { Extra = new Dictionary<string, string> { [MemberOnlyRoutes.Setting.Key] = MemberOnlyRoutes.Setting.Value } }, ownSecurity: true);
        var leader = await cluster.WaitForLeaderAsync();
        var certificates = cluster.Cluster.Certificates!;
        var clusterName = cluster.Cluster.Settings.ClusterName;
        var scratch = Path.Combine(cluster.Cluster.Settings.RootDirectory, "other-certs");
        var routes = await MemberOnlyRoutes.ListAsync(leader.Url, clusterName, certificates.CaCertFile, (certificates.MemberCertFile(leader.Id), certificates.MemberKeyFile(leader.Id)));
        output.WriteLine("member-only routes: " + string.Join(", ", routes.Select(r => $"{r.Method} {r.Path}")));
        Assert.Contains(routes, r => r.Path.StartsWith("/internal/v1/propose-batch", StringComparison.Ordinal));
        Assert.Contains(routes, r => r.Path.StartsWith("/internal/v1/snapshots/", StringComparison.Ordinal));

        // Another cluster's CA, issuing a certificate that names a real member of this cluster.
        var otherCa = (Cert: Path.Combine(scratch, "other-ca.crt"), Key: Path.Combine(scratch, "other-ca.key"));
        CertificateMaker.MakeCa("other", otherCa.Cert, otherCa.Key);
        var foreign = Issue(otherCa.Cert, otherCa.Key, clusterName, leader.Id == "dc1-a" ? "dc1-b" : "dc1-a", "foreign");
        // This cluster's CA, naming nobody in the group, and naming no member at all.
        var stranger = Issue(certificates.CaCertFile, certificates.CaKeyFile, clusterName, "dc9-z", "stranger");
        var nameless = Issue(certificates.CaCertFile, certificates.CaKeyFile, clusterName, null, "nameless");
        var removedId = cluster.Members.First(m => m.Id != leader.Id && m.Spec.Site != leader.Spec.Site).Id;
        var removed = (certificates.MemberCertFile(removedId), certificates.MemberKeyFile(removedId));

        var refusedWith = new Dictionary<string, (string, string)?>
        {
            ["no certificate"] = null,
            ["another cluster's CA"] = foreign,
            ["a non-member"] = stranger,
            ["no member name"] = nameless,
        };
        foreach (var (what, certificate) in refusedWith)
        {
            foreach (var route in routes)
            {
                var (status, body) = await SendAsync(leader.Url, certificates.CaCertFile, certificate, route);
                Assert.True(status == HttpStatusCode.Forbidden, $"{what}: {route.Method} {route.Path} answered {(int)status} {body}");
                Assert.EndsWith("peer-not-authenticated", JsonDocument.Parse(body).RootElement.GetProperty("type").GetString());
            }
        }

        // The control: a current member's certificate is let through to the handlers (which refuse the empty
        // bodies in their own ways, never with the mutual-TLS refusal).
        foreach (var route in routes)
        {
            var (status, body) = await SendAsync(leader.Url, certificates.CaCertFile, removed, route);
            Assert.False(status == HttpStatusCode.Forbidden && body.Contains("peer-not-authenticated", StringComparison.Ordinal),
                $"member {removedId}: {route.Method} {route.Path} was refused: {body}");
            if (route.Path == MemberOnlyRoutes.RaftPath)
                Assert.NotEqual(HttpStatusCode.NotFound, status);
        }

        // Removed from the group, the same certificate is refused at once on the leader.
        using (var remove = await cluster.Client(leader).DeleteAsync("/v1/members/" + removedId))
            Assert.True(remove.IsSuccessStatusCode, $"DELETE /v1/members/{removedId}: {(int)remove.StatusCode} {await remove.Content.ReadAsStringAsync()}");
        foreach (var route in routes)
        {
            var (status, body) = await SendAsync(leader.Url, certificates.CaCertFile, removed, route);
            Assert.True(status == HttpStatusCode.Forbidden, $"removed {removedId}: {route.Method} {route.Path} answered {(int)status} {body}");
            Assert.Contains("not a current member", body, StringComparison.Ordinal);
        }

        // The client API needs no client certificate, and the group still serves writes.
        await KvHttp.PutAsync(cluster.Client(leader), "mtls/after", "1");
        await Eventually.TrueAsync(async () => (await File.ReadAllTextAsync(leader.LogPath)).Contains("Refused member-to-member request", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the refusal to be logged");

        (string, string) Issue(string caCert, string caKey, string cluster, string? member, string name)
        {
            var files = (Path.Combine(scratch, name + ".crt"), Path.Combine(scratch, name + ".key"));
            CertificateMaker.MakeMember(caCert, caKey, cluster, member, ["127.0.0.1"], files.Item1, files.Item2);
            return files;
        }

        async Task<(HttpStatusCode, string)> SendAsync(string baseUrl, string caFile, (string Cert, string Key)? certificate, MemberOnlyRoutes.Route route)
        {
            using var handler = new SocketsHttpHandler { SslOptions = ClusterTrust.ClientOptions(caFile, certificate?.Cert, certificate?.Key) };
            using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
            using var request = new HttpRequestMessage(new HttpMethod(route.Method), baseUrl + route.Path);
            // The cluster-name check passes: only the certificate decides.
            request.Headers.Add("X-GZ-Cluster", clusterName);
            if (route.Method is "POST" or "PUT")
                request.Content = new ByteArrayContent([]);
            using var response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
    }
}
