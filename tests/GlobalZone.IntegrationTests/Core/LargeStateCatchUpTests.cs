using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using GlobalZone.ClusterRunner;
using GlobalZone.IntegrationTests.Operations;

namespace GlobalZone.IntegrationTests.Core;

/// <summary>
/// A state of tens of MB at default limits (600 values of 100 KiB, 3,000 small keys) reaches a member that lost its
/// disk, twice: replaced in place (kill -9, data wiped, restarted) and through remove + add. Each time the member ends
/// up holding every acknowledged key, and one client kept writing to the leader while it caught up. Before snapshots
/// went out of band this could not work: the whole state had to cross in one InstallSnapshot request, which Kestrel's
/// body limit and DotNext's RPC timeout both refuse.
/// </summary>
public sealed partial class LargeStateCatchUpTests(ITestOutputHelper output)
{
    private const int LargeValues = 600;
    private const int LargeValueBytes = 100 << 10;
    private const int SmallKeys = 3000;

    [Fact]
    public async Task A_member_that_lost_its_disk_catches_up_a_large_state_in_place_and_by_remove_and_add_while_writes_go_on()
    {
        // Only the checkpoint interval is lowered, so that a snapshot exists; every limit stays at its default, and so do
        // the Raft timings (the tests' loopback timings give a 225 ms RPC timeout, which a batch of 100 KiB values on a
        // busy 2-core machine can outlast, and the leader then steps down).
        await using var cluster = await TestCluster.StartAsync("large-state", "2+1+0", output,
            configure: s => s with { SnapshotEveryEntries = 100, LowerElectionTimeoutMs = null, UpperElectionTimeoutMs = null });
        var leader = await cluster.WaitForLeaderAsync();
        var leaderClient = cluster.Client(leader);
        var acknowledged = new ConcurrentDictionary<string, long>();
        var loadTime = Stopwatch.StartNew();
        await LoadAsync(leaderClient, acknowledged);
        output.WriteLine($"loaded {acknowledged.Count} keys (~{LargeValues * (long)LargeValueBytes >> 20} MiB) in {loadTime.Elapsed.TotalSeconds:F1} s");

        // In place: kill -9, wipe, restart under the same id.
        var replaced = cluster.AnyFollowerOf(leader);
        replaced.Kill();
        Directory.Delete(replaced.DataDirectory, recursive: true);
        await using (var writer = BackgroundWrites.Start(leaderClient, "during-restart/"))
        {
            await writer.UntilAsync(20, "writes before the restart");
            replaced.Start();
            var caughtUp = await UntilCaughtUpAsync(cluster, replaced, leaderClient, "the wiped member to catch up in place");
            await writer.AssertKeptGoingAsync(since: caughtUp.Started, until: caughtUp.Ended, output, "while the wiped member caught up");
            foreach (var (key, revision) in writer.Acknowledged)
                acknowledged[key] = revision;
        }

        await AssertHoldsEverythingAsync(cluster.Client(replaced), acknowledged);
        Assert.Matches(SnapshotReceived(), await File.ReadAllTextAsync(replaced.LogPath));

        // Remove + add: the other follower loses its disk; the operator removes it and adds a fresh member in its site.
        var lost = cluster.Members.First(m => m.Id != leader.Id && m.Id != replaced.Id);
        lost.Kill();
        Directory.Delete(lost.DataDirectory, recursive: true);
        await ChangeAsync(cluster, leader, HttpMethod.Delete, "/v1/members/" + lost.Id, null);
        var fresh = cluster.AddJoiningMember(lost.Spec.Site + "-z", lost.Spec.Site);
        fresh.Start();
        await KvHttp.UntilServingAsync(cluster.Client(fresh), "the fresh member to start");
        await using (var writer = BackgroundWrites.Start(leaderClient, "during-add/"))
        {
            await writer.UntilAsync(20, "writes before the addition");
            var started = Stopwatch.GetTimestamp();
            // As an operator does it: `gz member add`, which reports the newcomer's progress while it catches up.
            var add = await GzTool.RunAsync([leader.Url], TimeSpan.FromMinutes(5), "member", "add", fresh.Url, "--id", fresh.Id, "--site", fresh.Spec.Site, "--role", "voter");
            output.WriteLine($"remove + add: the newcomer joined in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
            output.WriteLine(add.ToString());
            var ended = Stopwatch.GetTimestamp();
            Assert.True(add.ExitCode == 0, add.ToString());
            Assert.Contains($"added {fresh.Id} ({fresh.Spec.Site}, voter)", add.Stdout);
            Assert.Matches(@"catching up: applied index \d+ of leader commit index \d+", add.Stderr);
            await writer.AssertKeptGoingAsync(since: started, until: ended, output, "while the newcomer caught up");
            foreach (var (key, revision) in writer.Acknowledged)
                acknowledged[key] = revision;
        }

        await AssertHoldsEverythingAsync(cluster.Client(fresh), acknowledged);
        Assert.Matches(SnapshotReceived(), await File.ReadAllTextAsync(fresh.LogPath));
    }

    /// <summary>The large values 4 at a time, then the small keys 16 at a time, all through the leader.</summary>
    private static async Task LoadAsync(HttpClient client, ConcurrentDictionary<string, long> acknowledged)
    {
        var large = "\"" + new string('x', LargeValueBytes - 64) + "\"";
        await Parallel.ForEachAsync(Enumerable.Range(0, LargeValues), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
        {
            var key = $"large/{i:D4}";
            acknowledged[key] = await KvHttp.PutAsync(client, key, large.Insert(1, $"{i:D4}:"));
        });
        await Parallel.ForEachAsync(Enumerable.Range(0, SmallKeys), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var key = $"small/{i:D5}";
            acknowledged[key] = await KvHttp.PutAsync(client, key, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
    }

    private async Task<(long Started, long Ended)> UntilCaughtUpAsync(TestCluster cluster, MemberProcess member, HttpClient leaderClient, string what)
    {
        var started = Stopwatch.GetTimestamp();
        var target = (await KvHttp.ClusterAsync(leaderClient)).GetProperty("revision").GetInt64();
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                return (await KvHttp.ClusterAsync(cluster.Client(member))).GetProperty("revision").GetInt64() >= target;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(40), what);
        var ended = Stopwatch.GetTimestamp();
        output.WriteLine($"in place: the wiped member reached revision {target} {Stopwatch.GetElapsedTime(started, ended).TotalSeconds:F1} s after its restart");
        return (started, ended);
    }

    /// <summary>Every acknowledged key at its acknowledged revision, and a large value intact, read from the member itself.</summary>
    private static async Task AssertHoldsEverythingAsync(HttpClient client, IReadOnlyDictionary<string, long> acknowledged)
    {
        foreach (var prefix in new[] { "large/", "small/", "during-restart/", "during-add/" })
        {
            var expected = acknowledged.Where(a => a.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(a => a.Key, a => a.Value);
            if (expected.Count > 0)
                await KvHttp.AssertHoldsAsync(client, prefix, expected);
        }

        var value = await KvHttp.GetValueAsync(client, "large/0421", "stale");
        Assert.NotNull(value);
        Assert.StartsWith("\"0421:xxx", value);
        Assert.Equal(LargeValueBytes - 64 + 5 + 2, value.Length);
    }

    private async Task<JsonElement> ChangeAsync(TestCluster cluster, MemberProcess leader, HttpMethod method, string path, string? json)
    {
        using var client = new HttpClient(cluster.CreateClientHandler()) { BaseAddress = new Uri(leader.Url), Timeout = TimeSpan.FromSeconds(45) };
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        output.WriteLine($"{method} {path}: {(int)response.StatusCode}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    // A member with an empty data folder installs the file while it arrives (a join's dump, transfer and install overlap).
    [GeneratedRegex(@"Snapshot snap-\d+-\d+-[0-9a-f]+ \(index \d+\) received: \d+ bytes .* installed in \d+ ms \(while it arrived\)")]
    private static partial Regex SnapshotReceived();
}
