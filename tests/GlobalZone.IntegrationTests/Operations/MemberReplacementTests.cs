using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;

namespace GlobalZone.IntegrationTests.Operations;

/// <summary>
/// The runbook's replacement of a failed member: the member's machine and disk are gone; a fresh member starts in
/// its place (same id and URL, empty data folder) while clients keep writing. The group never stops accepting
/// writes, the fresh member catches up from the leader, and it holds every acknowledged write.
/// </summary>
public sealed class MemberReplacementTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_failed_follower_replaced_by_an_empty_one_under_write_load_catches_up_and_loses_nothing()
    {
        await using var cluster = await TestCluster.StartAsync("replace", "2+1+0", output,
            configure: s => s with { SnapshotEveryEntries = 200 });
        var leader = await cluster.WaitForLeaderAsync();
        var victim = cluster.AnyFollowerOf(leader);
        var writerMember = cluster.Members.First(m => m.Id != victim.Id);

        var acknowledged = new ConcurrentDictionary<string, long>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            var client = cluster.Client(writerMember);
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var key = $"load/{n:D6}";
                acknowledged[key] = await KvHttp.PutAsync(client, key, n.ToString());
            }
        });

        await Eventually.TrueAsync(() => Task.FromResult(acknowledged.Count >= 100), TimeSpan.FromSeconds(20), "writes before the failure");
        victim.Kill();
        Directory.Delete(victim.DataDirectory, recursive: true);
        // The runbook: replace only once the group has noticed the loss and still has a leader.
        await Eventually.TrueAsync(async () =>
        {
            var status = await KvHttp.ClusterAsync(cluster.Client(writerMember));
            return status.TryGetProperty("leaderId", out var leaderId) && leaderId.ValueKind == JsonValueKind.String
                && status.GetProperty("members").EnumerateArray().Any(m => m.GetProperty("id").GetString() == victim.Id && m.GetProperty("status").GetString() == "unavailable");
        }, TimeSpan.FromSeconds(20), "the leader to see the member gone");
        var duringOutage = acknowledged.Count;
        await Eventually.TrueAsync(() => Task.FromResult(acknowledged.Count >= duringOutage + 200), TimeSpan.FromSeconds(30), "writes while the member is gone");

        victim.Start();
        var fresh = cluster.Client(victim);
        await Eventually.TrueAsync(async () =>
        {
            var mine = await fresh.GetFromJsonAsync<JsonElement>("/v1/cluster");
            var theirs = await KvHttp.ClusterAsync(cluster.Client(writerMember));
            return mine.TryGetProperty("leaderId", out var known) && known.ValueKind == JsonValueKind.String
                && mine.GetProperty("appliedIndex").GetInt64() + 50 >= theirs.GetProperty("appliedIndex").GetInt64();
        }, TimeSpan.FromSeconds(40), "the fresh member to catch up");
        var afterReplacement = acknowledged.Count;
        await Eventually.TrueAsync(() => Task.FromResult(acknowledged.Count >= afterReplacement + 100), TimeSpan.FromSeconds(20), "writes after the replacement");
        await stop.CancelAsync();
        await writer;
        output.WriteLine($"{acknowledged.Count} writes acknowledged; {duringOutage} before the failure, {afterReplacement} when the fresh member had caught up");

        // A linearizable read on the fresh member waits for everything acknowledged; then its local state has it all.
        await KvHttp.AssertHoldsAsync(fresh, "load/", acknowledged);
    }
}
