using System.Net;
using System.Text;
using System.Text.Json;

namespace GlobalZone.IntegrationTests.Core;

/// <summary>
/// Member-to-member traffic carries the cluster's name, and a member refuses Raft and internal requests from any
/// other cluster before acting on them (etcd's cluster-ID check). Members of the same cluster, meanwhile, work:
/// every other cluster test in the suite runs through the same guard.
/// </summary>
public sealed class ClusterNameGuardTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RaftAndInternalRequestsFromAnotherClusterAreRefusedBeforeAnythingActsOnThem()
    {
        // The plain-HTTP guard: with TLS on, mutual TLS refuses these requests first (MutualTlsTests).
        await using var cluster = await TestCluster.StartAsync("name-guard", "1+1+1", output, ownSecurity: true);
        var leader = await cluster.WaitForLeaderAsync();
        var client = cluster.Client(leader);
        var clusterName = cluster.Cluster.Settings.ClusterName;
        var before = (await KvHttp.ClusterAsync(client)).GetProperty("term").GetInt64();

        async Task<(HttpStatusCode Status, string Body)> SendAsync(string path, string? sender, byte[] body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
            if (sender is not null)
                request.Headers.Add("X-GZ-Cluster", sender);
            using var response = await client.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        // A forwarded write (a batch of one put) from another cluster: refused, and nothing is written.
        var put = TxnBatchOfOnePut();
        foreach (var sender in new string?[] { null, "some-other-cluster", clusterName.ToUpperInvariant() })
        {
            var (status, body) = await SendAsync("/internal/v1/propose-batch", sender, put);
            Assert.True(status == HttpStatusCode.Forbidden, $"{sender ?? "(no name)"}: {(int)status} {body}");
            Assert.EndsWith("cluster-mismatch", JsonDocument.Parse(body).RootElement.GetProperty("type").GetString());
            var raft = await SendAsync("/cluster-consensus/raft", sender, [1, 2, 3]);
            Assert.Equal(HttpStatusCode.Forbidden, raft.Status);
        }

        Assert.Null(await KvHttp.GetValueAsync(client, "guard/x"));
        Assert.Equal(before, (await KvHttp.ClusterAsync(client)).GetProperty("term").GetInt64());

        // The same request with this cluster's name reaches the handler (which then does its own checks).
        var own = await SendAsync("/internal/v1/propose-batch", clusterName, [9, 9]);
        Assert.Equal(HttpStatusCode.BadRequest, own.Status);
        await Eventually.TrueAsync(async () => (await File.ReadAllTextAsync(leader.LogPath)).Contains("Refused member-to-member traffic from cluster", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the refusal to be logged");
    }

    /// <summary>An encoded one-put transaction wrapped as a forwarded batch, built the way a follower would.</summary>
    private static byte[] TxnBatchOfOnePut()
    {
        var command = GlobalZone.StateMachine.Commands.CommandCodec.Encode(
            GlobalZone.StateMachine.Commands.TxnCommand.Put("guard/x", Encoding.UTF8.GetBytes("1")));
        var batch = new byte[8 + command.Length];
        BitConverter.TryWriteBytes(batch.AsSpan(0, 4), 1);
        BitConverter.TryWriteBytes(batch.AsSpan(4, 4), command.Length);
        command.CopyTo(batch, 8);
        return batch;
    }
}
