using System.Net;

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
        await using var cluster = await TestCluster.StartAsync("tls-basic", "2+1+0", output, configure: s => s with { Tls = true });
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
        await using var cluster = await TestCluster.StartAsync("tls-plain", "1+1+0", output, configure: s => s with { Tls = true });
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
}
