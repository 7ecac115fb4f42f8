using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalZone.IntegrationTests.Api;
using ContractLimits = GlobalZone.Contracts.Limits;

namespace GlobalZone.IntegrationTests.Core;

/// <summary>
/// Every request the API accepts at its default limits commits and applies on every member, and keeps applying after
/// every member is killed and restarted (the replay of a poison entry used to crash members at start). Nothing here
/// lowers a limit: the cluster runs at the server's defaults.
/// </summary>
public sealed class LimitsAtDefaultsTests(ITestOutputHelper output)
{
    // The server's own election timeouts and RPC timeout, not the short ones other tests use on loopback.
    private static Task<TestCluster> StartAtDefaultsAsync(string name, ITestOutputHelper output)
        => TestCluster.StartAsync(name, "2+1+0", output, configure: s => s with { LowerElectionTimeoutMs = null, UpperElectionTimeoutMs = null });

    private static string JsonStringOfBytes(int totalBytes) => "\"" + new string('j', totalBytes - 2) + "\"";

    private static async Task<long> PutRawAsync(HttpClient client, string key, byte[] value)
    {
        using var content = new ByteArrayContent(value);
        content.Headers.ContentType = new("application/octet-stream");
        using var response = await client.PutAsync($"/v1/kv/{key}?raw", content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"raw PUT {key} ({value.Length} bytes) via {client.BaseAddress}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("revision").GetInt64();
    }

    private static async Task<byte[]> GetRawAsync(HttpClient client, string key, string consistency = "linearizable")
    {
        using var response = await client.GetAsync($"/v1/kv/{key}?raw&consistency={consistency}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"raw GET {key} via {client.BaseAddress}: {(int)response.StatusCode}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    [Fact]
    public async Task Values_and_transactions_at_the_default_limits_apply_everywhere_and_survive_a_whole_cluster_restart()
    {
        await using var cluster = await StartAtDefaultsAsync("limits", output);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.AnyFollowerOf(leader);
        var viaLeader = cluster.Client(leader);
        var viaFollower = cluster.Client(follower);

        // A watcher on a follower, opened before the writes, must see the large revisions too.
        var (watch, watchStatus, watchError) = await SseReader.OpenAsync(viaFollower, "/v1/watch?prefix=big/");
        Assert.True(watch is not null, $"watch: {watchStatus} {watchError}");
        await using var _ = watch;

        var raw = new byte[ContractLimits.DefaultMaxValueBytes];
        Random.Shared.NextBytes(raw);
        var rawRevision = await PutRawAsync(viaLeader, "big/raw-leader", raw);
        // Four at once through a follower: forwarded to the leader together.
        var forwarded = Enumerable.Range(0, 4).Select(i => { var v = new byte[ContractLimits.DefaultMaxValueBytes]; Array.Fill(v, (byte)i); return v; }).ToArray();
        await Task.WhenAll(forwarded.Select((v, i) => PutRawAsync(viaFollower, $"big/raw-follower-{i}", v)));
        var json = JsonStringOfBytes(ContractLimits.DefaultMaxValueBytes);
        await KvHttp.PutAsync(viaFollower, "big/json", json);

        // One byte over is refused before it reaches the log.
        using (var tooBig = new ByteArrayContent(new byte[ContractLimits.DefaultMaxValueBytes + 1]))
        {
            tooBig.Headers.ContentType = new("application/octet-stream");
            using var refused = await viaLeader.PutAsync("/v1/kv/big/too-big?raw", tooBig);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        // A transaction of 128 puts whose values add up to just under the value limit: its body is at the request limit.
        var each = (ContractLimits.DefaultMaxValueBytes - (16 << 10)) / ContractLimits.MaxTxnOperations;
        var ops = Enumerable.Range(0, ContractLimits.MaxTxnOperations)
            .Select(i => new Dictionary<string, object> { ["op"] = "put", ["key"] = $"big/txn/{i:D3}", ["value"] = new string((char)('a' + (i % 26)), each) })
            .ToList();
        using (var txn = await viaFollower.PostAsJsonAsync("/v1/txn", new Dictionary<string, object> { ["success"] = ops }))
        {
            var body = await txn.Content.ReadAsStringAsync();
            Assert.True(txn.StatusCode == HttpStatusCode.OK, $"txn at the request limit: {(int)txn.StatusCode} {body[..Math.Min(300, body.Length)]}");
        }

        // The group still commits small writes: nothing halted.
        var after = await KvHttp.PutAsync(viaFollower, "small/after", "1");
        Assert.True(after > rawRevision);

        async Task AssertEveryMemberHoldsEverythingAsync()
        {
            foreach (var member in cluster.Members)
            {
                var client = cluster.Client(member);
                Assert.Equal("1", await KvHttp.GetValueAsync(client, "small/after"));
                Assert.Equal(raw, await GetRawAsync(client, "big/raw-leader", "stale"));
                for (var i = 0; i < forwarded.Length; i++)
                    Assert.Equal(forwarded[i], await GetRawAsync(client, $"big/raw-follower-{i}", "stale"));
                Assert.Equal(json, await KvHttp.GetValueAsync(client, "big/json", "stale"));
                Assert.Equal(new string('z', each), JsonSerializer.Deserialize<string>((await KvHttp.GetValueAsync(client, "big/txn/025", "stale"))!));
            }
        }

        await AssertEveryMemberHoldsEverythingAsync();

        // The watcher received each large revision whole (the transaction as one event with 128 changes).
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<SseEvent>();
        while (seen.Sum(e => e.Data.GetProperty("events").GetArrayLength()) < 6 + ContractLimits.MaxTxnOperations)
        {
            var next = await watch!.NextAsync(deadline.Token);
            Assert.NotNull(next);
            if (next.Name == "revision")
                seen.Add(next);
        }

        Assert.Contains(seen, e => e.Data.GetProperty("events").GetArrayLength() == ContractLimits.MaxTxnOperations);

        // kill -9 every member, then start them all: each replays the large entries from its log and serves again.
        foreach (var member in cluster.Members)
            member.Kill();
        foreach (var member in cluster.Members)
            member.Start();
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        foreach (var member in cluster.Members)
            await KvHttp.UntilServingAsync(cluster.Client(member), $"{member.Id} after the restart");
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                return await KvHttp.GetValueAsync(cluster.Client(cluster.Members[0]), "small/after") == "1";
            }
            catch (Exception e) when (e is HttpRequestException or Xunit.Sdk.XunitException or TaskCanceledException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "linearizable reads after the restart");
        Assert.All(cluster.Members, m => Assert.True(m.IsRunning, $"{m.Id} exited; see {m.LogPath}"));
        await AssertEveryMemberHoldsEverythingAsync();
        await KvHttp.PutAsync(cluster.Client(cluster.Members[^1]), "small/after-restart", "2");
    }

    [Fact]
    public async Task A_prefix_delete_and_a_lease_revoke_of_100000_keys_each_apply_on_every_member()
    {
        const int count = 100_000;
        await using var cluster = await StartAtDefaultsAsync("mass-delete", output);
        var leader = await cluster.WaitForLeaderAsync();
        var client = cluster.Client(leader);

        long lease;
        using (var granted = await client.PostAsJsonAsync("/v1/leases", new { ttl = 600 }))
        {
            Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
            lease = (await granted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        }

        async Task FillAsync(string prefix, long? withLease)
        {
            var batches = Enumerable.Range(0, (count + ContractLimits.MaxTxnOperations - 1) / ContractLimits.MaxTxnOperations);
            await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (batch, token) =>
            {
                var ops = Enumerable.Range(batch * ContractLimits.MaxTxnOperations, Math.Min(ContractLimits.MaxTxnOperations, count - (batch * ContractLimits.MaxTxnOperations)))
                    .Select(i => withLease is { } l
                        ? (object)new { op = "put", key = $"{prefix}{i:D6}", value = i, lease = l }
                        : new { op = "put", key = $"{prefix}{i:D6}", value = i })
                    .ToList();
                using var response = await client.PostAsJsonAsync("/v1/txn", new { success = ops }, token);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            });
        }

        await FillAsync("mass/", null);
        await FillAsync("leased/", lease);

        using (var deleted = await client.DeleteAsync("/v1/kv/mass/?prefix"))
        {
            var body = await deleted.Content.ReadAsStringAsync();
            Assert.True(deleted.StatusCode == HttpStatusCode.OK, $"prefix delete: {(int)deleted.StatusCode} {body}");
            Assert.Equal(count, JsonDocument.Parse(body).RootElement.GetProperty("deleted").GetInt64());
        }

        using (var revoked = await client.DeleteAsync($"/v1/leases/{lease}"))
        {
            var body = await revoked.Content.ReadAsStringAsync();
            Assert.True(revoked.StatusCode == HttpStatusCode.OK, $"lease revoke: {(int)revoked.StatusCode} {body}");
            Assert.Equal(count, JsonDocument.Parse(body).RootElement.GetProperty("deleted").GetInt64());
        }

        var last = await KvHttp.PutAsync(client, "small/after", "1");
        foreach (var member in cluster.Members)
        {
            var each = cluster.Client(member);
            Assert.Equal("1", await KvHttp.GetValueAsync(each, "small/after"));
            Assert.Empty(await KvHttp.LocalModRevisionsAsync(each, "mass/"));
            Assert.Empty(await KvHttp.LocalModRevisionsAsync(each, "leased/"));
            var status = await KvHttp.ClusterAsync(each);
            Assert.True(status.GetProperty("revision").GetInt64() >= last, $"{member.Id} is at revision {status.GetProperty("revision")}");
        }
    }
}
