namespace GlobalZone.IntegrationTests.Core;

/// <summary>
/// The core promise on real processes: writes through any member, reads from every member, and no acknowledged
/// write lost to a leader's kill -9 or to a kill -9 of the whole group followed by a restart.
/// </summary>
public sealed class ReplicationAndRecoveryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AcknowledgedWritesSurviveLeaderKillAndFullClusterCrash()
    {
        await using var cluster = await TestCluster.StartAsync("replication", "2+1+0", output);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.AnyFollowerOf(leader);
        var acknowledged = new Dictionary<string, string>();
        long lastRevision = 0;

        // Written through a follower: it forwards to the leader, and each write gets a higher revision.
        for (var i = 0; i < 20; i++)
        {
            var revision = await KvHttp.PutAsync(cluster.Client(follower), $"core/k{i}", $"{{\"n\":{i}}}");
            Assert.True(revision > lastRevision, $"revision {revision} after {lastRevision}");
            lastRevision = revision;
            acknowledged[$"core/k{i}"] = $"{{\"n\":{i}}}";
        }

        // Read back from every member, linearizably: each answers with the acknowledged value.
        foreach (var member in cluster.Members)
            await AssertHoldsAsync(cluster, member, acknowledged);

        // kill -9 the leader: the others elect a new one, which still has every write and takes new ones.
        leader.Kill();
        var started = DateTime.UtcNow;
        var survivors = cluster.Members.Where(m => m.IsRunning).ToList();
        var newLeader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(20), survivors);
        output.WriteLine($"new leader {newLeader.Id} after {(DateTime.UtcNow - started).TotalMilliseconds:F0} ms");
        Assert.NotEqual(leader.Id, newLeader.Id);
        for (var i = 20; i < 30; i++)
        {
            var revision = await KvHttp.PutAsync(cluster.Client(survivors[i % survivors.Count]), $"core/k{i}", $"{{\"n\":{i}}}");
            Assert.True(revision > lastRevision);
            lastRevision = revision;
            acknowledged[$"core/k{i}"] = $"{{\"n\":{i}}}";
        }

        foreach (var member in survivors)
            await AssertHoldsAsync(cluster, member, acknowledged);

        // The old leader comes back and catches up; then every member dies at once and restarts.
        leader.Start();
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        foreach (var member in cluster.Members)
            member.Kill();
        foreach (var member in cluster.Members)
            member.Start();
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        foreach (var member in cluster.Members)
            await AssertHoldsAsync(cluster, member, acknowledged);

        var status = await KvHttp.ClusterAsync(cluster.Client(cluster.Members[0]));
        Assert.Equal(lastRevision, status.GetProperty("revision").GetInt64());
    }

    private static async Task AssertHoldsAsync(TestCluster cluster, GlobalZone.ClusterRunner.MemberProcess member, Dictionary<string, string> expected)
    {
        foreach (var (key, value) in expected)
            Assert.Equal(value, await KvHttp.GetValueAsync(cluster.Client(member), key));
    }
}
