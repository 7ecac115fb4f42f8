using GlobalZone.Client;
using GlobalZone.Consensus.Tls;
using GlobalZone.Contracts.Tls;
using GlobalZone.IntegrationTests.Operations;

namespace GlobalZone.IntegrationTests.Security;

/// <summary>Clients of a TLS cluster: the .NET client and gz trust the cluster CA when told to, and only then.</summary>
public sealed class TlsClientTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TheNetClientAndGzWorkOverTlsWithTheClusterCa()
    {
        await using var cluster = await TestCluster.StartAsync("tls-clients", "1+1+0", output, configure: TlsTestSettings.Apply, ownSecurity: true);
        await cluster.WaitForLeaderAsync();
        var ca = cluster.Cluster.Certificates!.CaCertFile;
        var endpoints = cluster.Members.Select(m => m.Url).ToList();

        await using (var client = new GlobalZoneClient(new GlobalZoneClientOptions { Endpoints = endpoints, CaCertificateFile = ca, RetryBudget = TimeSpan.FromSeconds(30) }))
        {
            await client.PutAsync("tls/client", 42);
            Assert.Equal(42, await client.GetValueAsync<int>("tls/client"));
        }

        // Without the CA the members' certificates are not trusted: nothing is sent.
        await using (var untrusting = new GlobalZoneClient(new GlobalZoneClientOptions { Endpoints = endpoints, RetryBudget = TimeSpan.FromSeconds(2), MaxAttempts = 2 }))
        {
            var failure = await Record.ExceptionAsync(() => untrusting.PutAsync("tls/untrusted", 1));
            Assert.NotNull(failure);
            output.WriteLine("without the CA: " + failure.GetType().Name + ": " + failure.GetBaseException().Message);
        }

        var put = await GzTool.RunAsync(endpoints, Timeout, "--cacert", ca, "kv", "put", "tls/gz", "hello");
        Assert.True(put.ExitCode == 0, put.ToString());
        var get = await GzTool.RunAsync(endpoints, Timeout, "kv", "get", "tls/gz", "--cacert", ca);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal("hello", get.Stdout.Trim());
        var refused = await GzTool.RunAsync(endpoints, Timeout, "kv", "get", "tls/gz");
        Assert.True(refused.ExitCode != 0, refused.ToString());
        await using var untrusted = new GlobalZoneClient(new GlobalZoneClientOptions { Endpoints = endpoints, CaCertificateFile = ca });
        Assert.Null(await untrusted.GetAsync("tls/untrusted"));
    }

    [Fact]
    public async Task GzTlsMakesACaAndMemberCertificatesMembersAccept()
    {
        var folder = Path.Combine(Path.GetTempPath(), "gz-tls-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var ca = await GzTool.RunAsync([], Timeout, "tls", "make-ca", "--cluster", "prod", "--out", folder);
            Assert.True(ca.ExitCode == 0, ca.ToString());
            var again = await GzTool.RunAsync([], Timeout, "tls", "make-ca", "--cluster", "prod", "--out", folder);
            Assert.True(again.ExitCode != 0, "make-ca must not overwrite a CA: " + again);
            var member = await GzTool.RunAsync([], Timeout, "tls", "make-member", "--cluster", "prod", "--id", "dc2-a", "--hosts", "gz-dc2-a.example.net,10.0.2.5", "--ca", folder);
            Assert.True(member.ExitCode == 0, member.ToString());

            using var certificate = ClusterTrust.LoadCertificate(Path.Combine(folder, "dc2-a.crt"), Path.Combine(folder, "dc2-a.key"));
            var authorities = ClusterTrust.LoadAuthorities(Path.Combine(folder, "ca.crt"));
            Assert.True(ClusterTrust.Chains(certificate, authorities, ClusterTrust.ClientAuthentication, out var problem), problem);
            Assert.True(ClusterTrust.Chains(certificate, authorities, ClusterTrust.ServerAuthentication, out problem), problem);
            Assert.Equal("dc2-a", CertificateNames.MemberOf(certificate, "prod"));
            Assert.Null(CertificateNames.MemberOf(certificate, "staging"));
            Assert.True(certificate.MatchesHostname("gz-dc2-a.example.net"));
            Assert.True(certificate.MatchesHostname("10.0.2.5"));
            Assert.False(certificate.MatchesHostname("gz-dc1-a.example.net"));
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "dc2-a.key")));
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }
}
