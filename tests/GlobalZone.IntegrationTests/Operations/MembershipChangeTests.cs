using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GlobalZone.ClusterRunner;

namespace GlobalZone.IntegrationTests.Operations;

/// <summary>
/// The runbook's membership change: a member dies with its disk; the operator removes it and adds a fresh member
/// with a new id and address in the same site, one change at a time, while clients keep writing. Nothing stops,
/// nothing acknowledged is lost, every member names the newcomer, and the new membership survives a full restart.
/// </summary>
public sealed class MembershipChangeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_dead_member_is_removed_and_a_fresh_one_added_under_write_load_without_losing_anything()
    {
        // The server's own Raft timings, not the tests' loopback ones: this change must also hold on a machine whose
        // cores are busy with other work, where a 300 ms election timeout makes leadership flap by itself.
        await using var cluster = await TestCluster.StartAsync("membership", "2+1+1", output,
            configure: s => s with { SnapshotEveryEntries = 200, LowerElectionTimeoutMs = null, UpperElectionTimeoutMs = null });
        var leader = await cluster.WaitForLeaderAsync();
        var victim = cluster.AnyFollowerOf(leader);
        var writerMember = leader;

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

        async Task WritesContinueAsync(int atLeast, string phase)
        {
            var from = acknowledged.Count;
            await Eventually.TrueAsync(() => Task.FromResult(acknowledged.Count >= from + atLeast || writer.IsCompleted), TimeSpan.FromSeconds(30), phase);
            if (writer.IsFaulted)
                await writer; // surfaces the failed write
        }

        await WritesContinueAsync(300, "writes before the failure");
        victim.Kill();
        Directory.Delete(victim.DataDirectory, recursive: true);
        await Eventually.TrueAsync(async () => (await KvHttp.ClusterAsync(cluster.Client(leader))).GetProperty("members").EnumerateArray()
            .Any(m => m.GetProperty("id").GetString() == victim.Id && m.GetProperty("status").GetString() == "unavailable"),
            TimeSpan.FromSeconds(20), "the leader to see the member gone");

        // Step 1: remove the dead member.
        var removed = await ChangeAsync(cluster, leader, HttpMethod.Delete, "/v1/members/" + victim.Id, null);
        Assert.Equal("removed", removed.GetProperty("change").GetString());
        Assert.DoesNotContain(Ids(removed.GetProperty("members")), id => id == victim.Id);
        await WritesContinueAsync(200, "writes after the removal");

        // Step 2: a fresh member in the same site, new id and address, started to join.
        var fresh = cluster.AddJoiningMember(victim.Spec.Site + "-z", victim.Spec.Site);
        fresh.Start();
        await KvHttp.UntilServingAsync(cluster.Client(fresh), "the fresh member to start");
        var before = await KvHttp.ClusterAsync(cluster.Client(fresh));
        Assert.False(before.TryGetProperty("leaderId", out var early) && early.ValueKind == JsonValueKind.String, "a member not yet added follows no leader");

        var added = await ChangeAsync(cluster, leader, HttpMethod.Post, "/v1/members",
            JsonSerializer.Serialize(new { url = fresh.Url, id = fresh.Id, site = fresh.Spec.Site, role = "voter" }));
        Assert.Equal("added", added.GetProperty("change").GetString());
        var newcomer = added.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("id").GetString() == fresh.Id);
        Assert.Equal(fresh.Spec.Site, newcomer.GetProperty("site").GetString());
        await WritesContinueAsync(200, "writes after the addition");

        // Every member, the newcomer included, names the same group: founders and newcomer by id and site.
        var expected = cluster.Members.Where(m => m.Id != victim.Id).Select(m => m.Id).Order().ToList();
        foreach (var member in cluster.Members.Where(m => m.Id != victim.Id))
        {
            await Eventually.TrueAsync(async () =>
            {
                var status = await KvHttp.ClusterAsync(cluster.Client(member));
                var members = status.GetProperty("members").EnumerateArray().ToList();
                return Ids(status.GetProperty("members")).Order().SequenceEqual(expected)
                    && members.All(m => m.GetProperty("site").GetString() is { Length: > 0 })
                    && status.TryGetProperty("leaderId", out var l) && l.ValueKind == JsonValueKind.String;
            }, TimeSpan.FromSeconds(20), $"{member.Id} to see the new membership");
        }

        await stop.CancelAsync();
        await writer;
        output.WriteLine($"{acknowledged.Count} writes acknowledged across the change");

        // The newcomer holds every acknowledged write (a linearizable read first, then its local state).
        var freshClient = cluster.Client(fresh);
        await KvHttp.AssertHoldsAsync(freshClient, "load/", acknowledged);

        // The membership is in every data folder: kill -9 everyone, restart, and the new group elects and serves.
        foreach (var member in cluster.Members.Where(m => m.IsRunning))
            member.Kill();
        foreach (var member in cluster.Members.Where(m => m.Id != victim.Id))
            member.Start();
        var newLeader = await cluster.WaitForLeaderAsync(among: cluster.Members.Where(m => m.Id != victim.Id));
        var after = await KvHttp.ClusterAsync(cluster.Client(newLeader));
        Assert.Equal(expected, Ids(after.GetProperty("members")).Order().ToList());
        await KvHttp.PutAsync(cluster.Client(fresh), "after/restart", "1");
        await KvHttp.AssertHoldsAsync(cluster.Client(fresh), "load/", acknowledged);
    }

    // Issue 11: a member caught up by a snapshot installed the data but sometimes kept the old Raft membership for good
    // (about 1 run in 4 on a loaded machine). DotNext's storage raised its change event with the InstallSnapshot
    // request's token, cancelled once the leader gave up on a slow save, and the event was dropped; see
    // MembershipChangeNotifier. The test widens that window on purpose so that it fails every time if the event can
    // be lost again, rather than on a loaded machine only.
    [Fact]
    public async Task A_member_down_during_a_change_and_caught_up_by_snapshot_adopts_the_new_membership()
    {
        // Frequent checkpoints: the configuration entries are cut from every log long
        // before the absent member returns, so only a snapshot can bring it up to date.
        await using var cluster = await TestCluster.StartAsync("membership-snapshot", "2+1+1", output,
            configure: s => s with
            {
                SnapshotEveryEntries = 100,
                // The server's own Raft timings (RPC timeout 562 ms), not the tests' loopback ones: on a machine whose
                // cores are busy elsewhere, 300 ms elections make leadership flap and the writes below fail with 504.
                LowerElectionTimeoutMs = null,
                UpperElectionTimeoutMs = null,
            });
        var leader = await cluster.WaitForLeaderAsync();
        var absent = cluster.AnyFollowerOf(leader);
        var client = cluster.Client(leader);
        for (var i = 0; i < 50; i++)
            await PutRidingOutLeaderChangesAsync(client, $"load/{i:D6}", i.ToString());

        await absent.StopAsync(TimeSpan.FromSeconds(10));
        // On its return the absent member (only it: elsewhere the stall would cost elections) waits longer than the
        // leader's RPC timeout (562 ms) between storing the new membership and passing it on to DotNext, as a slow disk
        // flush inside DotNext's save made it do: the leader abandons the InstallSnapshot call that carried it.
        var config = JsonNode.Parse(await File.ReadAllTextAsync(absent.ConfigPath))!;
        config["GlobalZone"]!["Testing"] = new JsonObject { ["MembershipNotifyDelayMs"] = 1500 };
        await File.WriteAllTextAsync(absent.ConfigPath, config.ToJsonString());
        // Chosen only now: on a loaded machine leadership may have moved meanwhile, and the leader cannot be removed.
        leader = await cluster.WaitForLeaderAsync(among: cluster.Members.Where(m => m.IsRunning));
        client = cluster.Client(leader);
        var removedMember = cluster.Members.First(m => m.IsRunning && m.Id != leader.Id && !m.Spec.IsWitness);
        await ChangeAsync(cluster, leader, HttpMethod.Delete, "/v1/members/" + removedMember.Id, null);
        removedMember.Kill();
        var fresh = cluster.AddJoiningMember(removedMember.Spec.Site + "-z", removedMember.Spec.Site, removedMember.Spec.Role);
        fresh.Start();
        await KvHttp.UntilServingAsync(cluster.Client(fresh), "the fresh member to start");
        await ChangeAsync(cluster, leader, HttpMethod.Post, "/v1/members", JsonSerializer.Serialize(new { url = fresh.Url }));

        var acknowledged = new Dictionary<string, long>();
        for (var i = 50; i < 1500; i++)
            acknowledged[$"load/{i:D6}"] = await PutRidingOutLeaderChangesAsync(client, $"load/{i:D6}", i.ToString());

        absent.Start();
        var expected = cluster.Members.Where(m => m.Id != removedMember.Id).Select(m => m.Id).Order().ToList();
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                var members = await cluster.Client(absent).GetFromJsonAsync<JsonElement>("/v1/members");
                return Ids(members).Order().SequenceEqual(expected);
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(40), $"{absent.Id} to adopt the membership {string.Join(",", expected)}");
        // The member's own account of how it learned it (its log is written asynchronously: poll).
        await Eventually.TrueAsync(async () =>
        {
            var log = await File.ReadAllTextAsync(absent.LogPath);
            return log.Contains("Installed snapshot", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10), $"{absent.Id} to log the snapshot install");

        // The group without its old leader still needs the returning member and the newcomer to agree: it elects,
        // takes writes, and the returning member holds them all.
        leader.Kill();
        var survivors = cluster.Members.Where(m => m.IsRunning).ToList();
        var newLeader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30), survivors);
        var voterClient = cluster.Client(survivors.First(m => !m.Spec.IsWitness));
        acknowledged["after/failover"] = await PutRidingOutLeaderChangesAsync(voterClient, "after/failover", "1");
        output.WriteLine($"after the old leader's loss {newLeader.Id} leads {string.Join(",", survivors.Select(m => m.Id))}");
        await KvHttp.AssertHoldsAsync(cluster.Client(absent), "load/", acknowledged.Where(a => a.Key.StartsWith("load/", StringComparison.Ordinal)).ToDictionary());
    }

    /// <summary>
    /// A write that rides out a leader change, as a client does: on a loaded machine the group may change leader
    /// during the 1,500 writes, which is not what this test is about. 504 means "outcome unknown", and the same
    /// Idempotency-Key makes the retry safe (it answers the first attempt's revision if that one committed).
    /// </summary>
    private static async Task<long> PutRidingOutLeaderChangesAsync(HttpClient client, string key, string jsonValue)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/kv/" + key) { Content = new StringContent(jsonValue, Encoding.UTF8, "application/json") };
            request.Headers.Add("Idempotency-Key", "membership-snapshot/" + key);
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK)
                return JsonDocument.Parse(body).RootElement.GetProperty("revision").GetInt64();
            var retryable = response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout or HttpStatusCode.MisdirectedRequest;
            Assert.True(retryable && DateTime.UtcNow < deadline, $"PUT {key} via {client.BaseAddress} answered {(int)response.StatusCode}: {body}");
            await Task.Delay(TimeSpan.FromMilliseconds(100)); // back-off between retries, not a wait for a condition
        }
    }

    [Fact]
    public async Task Gz_adds_a_witness_site_to_a_two_site_group_which_then_survives_the_loss_of_a_site()
    {
        // The runbook's "adding the witness site": two voters alone cannot lose either; with a witness they can.
        await using var cluster = await TestCluster.StartAsync("membership-witness", "1+1+0", output);
        var endpoints = cluster.Members.Select(m => m.Url).ToArray();
        var witness = cluster.AddJoiningMember("dc3-w", "dc3", "witness");
        witness.Start();
        await KvHttp.UntilServingAsync(cluster.Client(witness), "the witness to start");

        var wrongSite = await GzTool.RunAsync(endpoints, TimeSpan.FromSeconds(30), "member", "add", witness.Url, "--site", "dc9");
        Assert.True(wrongSite.ExitCode != 0 && wrongSite.Stderr.Contains("dc9"), wrongSite.ToString());
        var add = await GzTool.RunAsync(endpoints, TimeSpan.FromSeconds(60), "member", "add", witness.Url, "--id", "dc3-w", "--site", "dc3", "--role", "witness");
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains("added dc3-w (dc3, witness)", add.Stdout);

        var list = await GzTool.RunAsync(endpoints, TimeSpan.FromSeconds(30), "member", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using (var json = JsonDocument.Parse(list.Stdout))
        {
            var members = json.RootElement.EnumerateArray().ToList();
            Assert.Equal(3, members.Count);
            var added = Assert.Single(members, m => m.GetProperty("id").GetString() == "dc3-w");
            Assert.True(added.GetProperty("isWitness").GetBoolean());
            Assert.Equal("dc3", added.GetProperty("site").GetString());
        }

        var leader = await cluster.WaitForLeaderAsync();
        await KvHttp.PutAsync(cluster.Client(leader), "before/loss", "1");
        var survivor = cluster.Members.Single(m => m.Id != leader.Id && !m.Spec.IsWitness);
        leader.Kill();
        var newLeader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30), [survivor, witness]);
        // The witness may lead for a moment to hand over; the survivor ends up leading and serving.
        await Eventually.TrueAsync(async () => (await KvHttp.ClusterAsync(cluster.Client(survivor))).TryGetProperty("leaderId", out var id) && id.GetString() == survivor.Id,
            TimeSpan.FromSeconds(30), $"{survivor.Id} to lead after {leader.Id} is lost (first leader {newLeader.Id})");
        await KvHttp.PutAsync(cluster.Client(survivor), "after/loss", "1");
        Assert.Equal("1", await KvHttp.GetValueAsync(cluster.Client(survivor), "before/loss"));
    }

    [Fact]
    public async Task Membership_changes_refuse_what_would_be_wrong_with_clear_problems()
    {
        await using var cluster = await TestCluster.StartAsync("membership-refusals", "1+1+1", output);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.AnyFollowerOf(leader);
        var leaderClient = cluster.Client(leader);

        async Task ExpectAsync(HttpClient client, HttpMethod method, string path, string? json, HttpStatusCode status, string type)
        {
            using var request = new HttpRequestMessage(method, path);
            if (json is not null)
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{method} {path} {json}: expected {(int)status}, got {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.EndsWith(type, JsonDocument.Parse(body).RootElement.GetProperty("type").GetString());
        }

        await ExpectAsync(leaderClient, HttpMethod.Delete, "/v1/members/nobody", null, HttpStatusCode.NotFound, "member-not-found");
        await ExpectAsync(leaderClient, HttpMethod.Delete, "/v1/members/" + leader.Id, null, HttpStatusCode.Conflict, "membership-conflict");
        await ExpectAsync(cluster.Client(follower), HttpMethod.Delete, "/v1/members/" + leader.Id, null, HttpStatusCode.MisdirectedRequest, "not-leader");
        await ExpectAsync(leaderClient, HttpMethod.Post, "/v1/members", JsonSerializer.Serialize(new { url = follower.Url }), HttpStatusCode.Conflict, "membership-conflict");
        var nobody = $"http://127.0.0.1:{ClusterLayout.FreePort()}";
        await ExpectAsync(leaderClient, HttpMethod.Post, "/v1/members", JsonSerializer.Serialize(new { url = nobody }), HttpStatusCode.ServiceUnavailable, "member-unavailable");
        await ExpectAsync(leaderClient, HttpMethod.Post, "/v1/members", "{\"url\": 5}", HttpStatusCode.BadRequest, "invalid-json");
        await ExpectAsync(leaderClient, HttpMethod.Post, "/v1/members", "{\"url\": \"http://x:1\", \"colour\": 1}", HttpStatusCode.BadRequest, "invalid-json");
        await ExpectAsync(leaderClient, HttpMethod.Post, "/v1/members", "{\"url\": \"not a url\"}", HttpStatusCode.BadRequest, "bad-request");
        await ExpectAsync(leaderClient, HttpMethod.Post, "/v1/members", "{\"url\": \"http://x:1\", \"role\": \"king\"}", HttpStatusCode.BadRequest, "bad-request");

        // A member of another cluster, or one that is not who the request says, is not added.
        var stranger = cluster.AddJoiningMember("dc2-z", "dc2");
        stranger.Start();
        await KvHttp.UntilServingAsync(cluster.Client(stranger), "the joining member to start");
        await ExpectAsync(leaderClient, HttpMethod.Post, "/v1/members", JsonSerializer.Serialize(new { url = stranger.Url, id = "dc2-y" }), HttpStatusCode.Conflict, "membership-conflict");
        await ExpectAsync(leaderClient, HttpMethod.Post, "/v1/members", JsonSerializer.Serialize(new { url = stranger.Url, site = "dc1" }), HttpStatusCode.Conflict, "membership-conflict");
        var members = await leaderClient.GetFromJsonAsync<JsonElement>("/v1/members");
        Assert.Equal(3, members.GetArrayLength());
    }

    /// <summary>Sends a membership change to the leader (following one 421 to a new leader) and returns the 200 body.</summary>
    private static async Task<JsonElement> ChangeAsync(TestCluster cluster, MemberProcess leader, HttpMethod method, string path, string? json)
    {
        var target = leader;
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, path);
            if (json is not null)
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            using var response = await cluster.Client(target).SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.MisdirectedRequest && attempt == 0)
            {
                target = await cluster.WaitForLeaderAsync(among: cluster.Members.Where(m => m.IsRunning));
                continue;
            }

            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path} answered {(int)response.StatusCode}: {body}");
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }

    private static IEnumerable<string> Ids(JsonElement members) => members.EnumerateArray().Select(m => m.GetProperty("id").GetString()!);
}
