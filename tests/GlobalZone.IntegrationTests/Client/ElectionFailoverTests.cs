using GlobalZone.Client;

namespace GlobalZone.IntegrationTests.Client;

/// <summary>
/// An election through a Raft leader kill (SIGKILL): afterwards exactly one candidate leads — the same one, or the
/// next with a larger token — its fenced write applies, the other's is refused, and observers name it.
/// </summary>
public sealed class ElectionFailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ElectionSurvivesARaftLeaderKill()
    {
        await using var cluster = await ClientClusters.StartAsync("election-failover", "1+2+0", output);
        var raftLeader = await cluster.WaitForLeaderAsync();
        const string name = "client-tests/failover-election";
        var logging = new TestLogging(output);
        await using var a = ClientClusters.Client(cluster, site: "dc1", logging: logging.Factory());
        await using var b = ClientClusters.Client(cluster, site: "dc2", logging: logging.Factory());
        await using var reader = ClientClusters.Client(cluster, site: "dc2");

        var first = await new GlobalZoneElection(a, name).CampaignAsync("a");
        var secondCampaign = new GlobalZoneElection(b, name).CampaignAsync("b");
        await Eventually.TrueAsync(async () => (await reader.Locks.GetAsync(name)).WaiterCount == 1, Patience, "b queued");

        output.WriteLine($"killing Raft leader {raftLeader.Id} while a leads with token {first.FencingToken}");
        raftLeader.Kill();
        var newRaftLeader = await cluster.WaitForLeaderAsync(Patience);
        Assert.NotEqual(raftLeader.Id, newRaftLeader.Id);

        // Whoever leads now is the one the cluster names; settle on it (a may lose its lease if the failover outlasts it).
        var leader = await Eventually.GetAsync(() => new GlobalZoneElection(reader, name).GetLeaderAsync(), Patience, "a named leader after the kill");
        output.WriteLine($"after the kill: {leader.Candidate} leads with token {leader.FencingToken}; a lost: {first.IsLost}");
        if (leader.Candidate == "a")
        {
            Assert.Equal(first.FencingToken, leader.FencingToken);
            Assert.False(first.IsLost);
            Assert.False(secondCampaign.IsCompleted, "b elected while a still leads");
            await a.PutAsync(name + "/work", "by a", new WriteOptions { FencedBy = first.Lock });
            await first.ResignAsync();
            await using var second = await secondCampaign.WaitAsync(Patience);
            Assert.True(second.FencingToken > first.FencingToken);
            await b.PutAsync(name + "/work", "by b", new WriteOptions { FencedBy = second.Lock });
        }
        else
        {
            await using var second = await secondCampaign.WaitAsync(Patience);
            Assert.Equal(second.FencingToken, leader.FencingToken);
            Assert.True(second.FencingToken > first.FencingToken, $"b's token {second.FencingToken} after a's {first.FencingToken}");
            await Eventually.TrueAsync(() => Task.FromResult(first.IsLost), Patience, "a to know it lost");
            await Assert.ThrowsAsync<FencingTokenRejectedException>(() => a.PutAsync(name + "/work", "by a", new WriteOptions { FencedBy = first.Lock }));
            await b.PutAsync(name + "/work", "by b", new WriteOptions { FencedBy = second.Lock });
            await first.DisposeAsync();
        }

        Assert.Equal("by b", await reader.GetValueAsync<string>(name + "/work"));
    }
}
