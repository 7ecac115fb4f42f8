using System.Text.RegularExpressions;

namespace GlobalZone.IntegrationTests.Core;

/// <summary>
/// A member that was down while the others wrote a lot and checkpointed (so their WAL no longer holds what it
/// missed) is brought back by a snapshot of the FASTER state, then by the log tail, and converges.
/// </summary>
public sealed partial class SnapshotCatchUpTests(ITestOutputHelper output)
{
    [Fact]
    public async Task LaggingMemberIsRestoredBySnapshotAndConverges()
    {
        await using var cluster = await TestCluster.StartAsync("snapshot", "2+1+0", output, configure: s => s with
        {
            // Checkpoints every 100 entries: the log is cut below each, so the lagging member needs a snapshot.
            SnapshotEveryEntries = 100,
        });
        var leader = await cluster.WaitForLeaderAsync();
        var lagging = cluster.AnyFollowerOf(leader);
        lagging.Kill();
        var writer = cluster.Client(leader);

        var value = "\"" + new string('v', 2000) + "\"";
        for (var i = 0; i < 600; i++)
            await KvHttp.PutAsync(writer, $"snap/k{i % 40}", $"{{\"i\":{i},\"pad\":{value}}}");
        var leaderStatus = await KvHttp.ClusterAsync(writer);
        Assert.True(leaderStatus.GetProperty("snapshotIndex").GetInt64() >= 500, "the leader checkpointed");
        var expectedRevision = leaderStatus.GetProperty("revision").GetInt64();

        lagging.Start();
        var client = cluster.Client(lagging);
        await Eventually.TrueAsync(async () =>
        {
            var status = await KvHttp.ClusterAsync(client);
            return status.GetProperty("revision").GetInt64() == expectedRevision;
        }, TimeSpan.FromSeconds(30), "the restarted member to reach the leader's revision");

        for (var k = 0; k < 40; k++)
        {
            var last = 600 - 40 + k;
            var stale = await KvHttp.GetValueAsync(client, $"snap/k{k}", "stale");
            Assert.Contains($"\"i\":{last},", stale);
        }

        // The member logs the install; its log is written by another process, so give the line a moment to land.
        await Eventually.TrueAsync(async () => InstalledSnapshot().IsMatch(await File.ReadAllTextAsync(lagging.LogPath)),
            TimeSpan.FromSeconds(10), "the restarted member's log to show the snapshot install");

        // And it keeps up with what comes after.
        var revision = await KvHttp.PutAsync(writer, "snap/after", "1");
        await Eventually.TrueAsync(async () => await KvHttp.GetValueAsync(client, "snap/after", "stale") == "1", TimeSpan.FromSeconds(10), "the next write");
        Assert.True(revision > expectedRevision);
    }

    [GeneratedRegex("Installed snapshot known as index \\d+")]
    private static partial Regex InstalledSnapshot();
}
