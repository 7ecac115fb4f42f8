namespace GlobalZone.IntegrationTests.Core;

/// <summary>
/// A member restarted on an empty data folder under its old identity does not vote until it has caught up with what
/// the group had committed when it started; once caught up it votes, so the group can still elect with it.
/// </summary>
public sealed class AmnesiaGuardTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_wiped_member_waits_to_catch_up_before_voting_and_then_helps_elect()
    {
        await using var cluster = await TestCluster.StartAsync("amnesia-guard", "2+1+0", output);
        var leader = await cluster.WaitForLeaderAsync();
        var wiped = cluster.AnyFollowerOf(leader);
        var acknowledged = new Dictionary<string, long>();
        for (var i = 0; i < 20; i++)
            acknowledged[$"ag/k{i:D2}"] = await KvHttp.PutAsync(cluster.Client(leader), $"ag/k{i:D2}", $"{{\"n\":{i}}}");

        wiped.Kill();
        Directory.Delete(wiped.DataDirectory, recursive: true);
        var logStart = File.ReadAllText(wiped.LogPath).Length;
        wiped.Start();
        await KvHttp.UntilServingAsync(cluster.Client(wiped), $"{wiped.Id} to serve again");
        Assert.Contains("will not vote until it has caught up", File.ReadAllText(wiped.LogPath)[logStart..], StringComparison.Ordinal);
        await KvHttp.AssertHoldsAsync(cluster.Client(wiped), "ag/", acknowledged);
        // Caught up: the next message from the leader lifts the guard.
        await Eventually.TrueAsync(
            () => Task.FromResult(File.ReadAllText(wiped.LogPath)[logStart..].Contains("votes again", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(15), $"{wiped.Id} to vote again once caught up");

        // The leader dies: the other follower needs the wiped member's vote, which it now gives.
        leader.Kill();
        var survivors = cluster.Members.Where(m => m.Id != leader.Id).ToList();
        var newLeader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30), survivors);
        output.WriteLine($"new leader {newLeader.Id}");
        acknowledged["ag/after"] = await KvHttp.PutAsync(cluster.Client(newLeader), "ag/after", "1");
        foreach (var member in survivors)
            await KvHttp.AssertHoldsAsync(cluster.Client(member), "ag/", acknowledged);
    }
}
