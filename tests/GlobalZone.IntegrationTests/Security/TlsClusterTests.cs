using System.Net;
using System.Security.Cryptography.X509Certificates;
using GlobalZone.Contracts.Tls;

namespace GlobalZone.IntegrationTests.Security;

/// <summary>
/// A cluster with <c>GlobalZone:Tls</c> set: members speak https only, Raft and forwarding between members run over
/// mutual TLS, and the client API is reached with the cluster CA.
/// </summary>
public sealed class TlsClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TlsClusterElectsReplicatesAndServesThroughAFollower()
    {
        await using var cluster = await TestCluster.StartAsync("tls-basic", "2+1+0", output, configure: TlsTestSettings.Apply, ownSecurity: true);
        Assert.All(cluster.Members, m => Assert.StartsWith("https://", m.Url, StringComparison.Ordinal));
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.AnyFollowerOf(leader);

        // A write through a follower is forwarded to the leader (/internal over mutual TLS), a linearizable read
        // through the follower asks the leader for its read index (DotNext's Raft route over mutual TLS).
        for (var i = 0; i < 20; i++)
            await KvHttp.PutAsync(cluster.Client(follower), $"tls/k{i}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("19", await KvHttp.GetValueAsync(cluster.Client(follower), "tls/k19"));

        // Every member holds every write (replication over TLS).
        foreach (var member in cluster.Members)
            await Eventually.TrueAsync(async () => await KvHttp.GetValueAsync(cluster.Client(member), "tls/k19", "stale") == "19",
                TimeSpan.FromSeconds(20), $"{member.Id} to hold the writes");
    }

    [Fact]
    public async Task PlainHttpToATlsMemberGetsNoAnswer()
    {
        await using var cluster = await TestCluster.StartAsync("tls-plain", "1+1+0", output, configure: TlsTestSettings.Apply, ownSecurity: true);
        var member = cluster.Members[0];
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var url = member.Url.Replace("https://", "http://", StringComparison.Ordinal) + "/v1/cluster";
        HttpStatusCode? status = null;
        try
        {
            using var response = await plain.GetAsync(url);
            status = response.StatusCode;
        }
        catch (HttpRequestException e)
        {
            output.WriteLine("plain http: " + e.GetBaseException().Message);
        }

        // Kestrel either drops the connection or answers 400: never the API.
        Assert.True(status is null or HttpStatusCode.BadRequest, $"plain http answered {status}");
    }

    [Fact]
    public async Task AReplacedCertificateIsServedWithoutARestart()
    {
        await using var cluster = await TestCluster.StartAsync("tls-reload", "1+1+0", output, configure: TlsTestSettings.Apply, ownSecurity: true);
        var member = cluster.Members[0];
        var certificates = cluster.Cluster.Certificates!;
        var pid = member.Pid;
        using var before = X509Certificate2.CreateFromPem(File.ReadAllText(certificates.MemberCertFile(member.Id)));
        Assert.Equal(before.SerialNumber, await ServedSerialAsync(member.Url, certificates.CaCertFile));

        // A renewed certificate (new key, new serial) written over the old files, as a rotation tool would.
        certificates.IssueMember(member.Id, member.Spec.Host, TimeSpan.FromDays(30));
        using var after = X509Certificate2.CreateFromPem(File.ReadAllText(certificates.MemberCertFile(member.Id)));
        Assert.NotEqual(before.SerialNumber, after.SerialNumber);
        await Eventually.TrueAsync(async () => await ServedSerialAsync(member.Url, certificates.CaCertFile) == after.SerialNumber,
            TimeSpan.FromSeconds(30), "the new certificate to be served");
        Assert.Equal(pid, member.Pid);

        // Members reach it with the new certificate too (their own connections are new ones after a while; a write
        // through the other member is forwarded or replicated to it).
        var other = cluster.Members[1];
        await KvHttp.PutAsync(cluster.Client(other), "tls/renewed", "1");
        await Eventually.TrueAsync(async () => await KvHttp.GetValueAsync(cluster.Client(member), "tls/renewed", "stale") == "1",
            TimeSpan.FromSeconds(20), "the renewed member to hold the write");
    }

    /// <summary>The serial number of the certificate a member serves on a new connection.</summary>
    private static async Task<string?> ServedSerialAsync(string url, string caFile)
    {
        string? serial = null;
        var trust = ClusterTrust.ClientOptions(caFile, null, null);
        var check = trust.RemoteCertificateValidationCallback!;
        trust.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
        {
            serial = (certificate as X509Certificate2)?.SerialNumber;
            return check(sender, certificate, chain, errors);
        };
        using var http = new HttpClient(new SocketsHttpHandler { SslOptions = trust }) { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(url + "/healthz");
        return serial;
    }
}
