using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using GlobalZone.ClusterRunner;

namespace GlobalZone.IntegrationTests.Core;

/// <summary>
/// A member whose storage fails while applying (a real failure injected into that one process's FASTER writes) stops
/// serving: /readyz 503, every client request 503 <c>member-faulted</c>, one clear log line with the index, and it
/// never leads; the rest of the group goes on. Restarted on a mended disk, it replays and catches up.
/// </summary>
public sealed class ApplyFaultTests(ITestOutputHelper output)
{
    private const string PoisonMarker = "disk-fails-here";

    /// <summary>Restarts a member with (or without) the test-only storage fault switched on in its own configuration.</summary>
    private static async Task RestartWithFaultAsync(TestCluster cluster, MemberProcess member, bool fault)
    {
        member.Kill();
        var config = JsonNode.Parse(await File.ReadAllTextAsync(member.ConfigPath))!;
        var section = config["GlobalZone"]!.AsObject();
        section.Remove("Testing");
        if (fault)
            section["Testing"] = new JsonObject { ["FailStorageWritesContaining"] = PoisonMarker };
        await File.WriteAllTextAsync(member.ConfigPath, config.ToJsonString());
        member.Start();
        await KvHttp.UntilServingAsync(cluster.Client(member), member.Id);
    }

    [Fact]
    public async Task A_member_whose_storage_fails_stops_serving_while_the_others_go_on()
    {
        await using var cluster = await TestCluster.StartAsync("apply-fault", "2+1+0", output);
        // The faulty member: the first leader, in the preferred site, so it is likely to lead again when the fault
        // strikes (then the test also shows it hands leadership over).
        var faulty = await cluster.WaitForLeaderAsync();
        await RestartWithFaultAsync(cluster, faulty, fault: true);
        await cluster.WaitForLeaderAsync();
        var healthy = cluster.Members.Where(m => m.Id != faulty.Id).ToList();
        var viaHealthy = cluster.Client(healthy[0]);
        await KvHttp.PutAsync(viaHealthy, "before", "1");

        // The write commits (a majority stores the entry) and applies on the healthy members; the faulty one's store
        // refuses it.
        var poisonKey = $"app/{PoisonMarker}";
        await Eventually.TrueAsync(async () =>
        {
            using var response = await viaHealthy.PutAsync($"/v1/kv/{poisonKey}", new StringContent("42"));
            return response.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(30), "the write to commit and apply somewhere");

        var faultyClient = cluster.Client(faulty);
        await Eventually.TrueAsync(async () =>
        {
            using var ready = await faultyClient.GetAsync("/readyz");
            return ready.StatusCode == HttpStatusCode.ServiceUnavailable
                   && JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString() == "apply-fault";
        }, TimeSpan.FromSeconds(15), "the faulty member to report not ready");

        // It answers no reads, stale or linearizable, and takes no writes: 503 member-faulted with Retry-After.
        foreach (var path in new[] { "/v1/kv/before", "/v1/kv/before?consistency=stale", "/v1/kv/?prefix" })
        {
            using var read = await faultyClient.GetAsync(path);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
            Assert.Equal("application/problem+json", read.Content.Headers.ContentType?.MediaType);
            Assert.EndsWith("/member-faulted", JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement.GetProperty("type").GetString());
            Assert.True(read.Headers.RetryAfter is not null, $"{path}: Retry-After");
        }

        using (var write = await faultyClient.PutAsync("/v1/kv/via-faulty", new StringContent("1")))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, write.StatusCode);

        // One clear line names the index.
        await Eventually.TrueAsync(async () => (await File.ReadAllTextAsync(faulty.LogPath)).Contains("cannot apply entry", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the faulty member's log line");

        // The rest of the group goes on: a healthy member leads, writes commit, both healthy members read them.
        var newLeader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30), healthy);
        Assert.NotEqual(faulty.Id, newLeader.Id);
        for (var i = 0; i < 20; i++)
            await KvHttp.PutAsync(cluster.Client(healthy[i % 2]), $"after/{i}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var member in healthy)
        {
            Assert.Equal("42", await KvHttp.GetValueAsync(cluster.Client(member), poisonKey));
            Assert.Equal("19", await KvHttp.GetValueAsync(cluster.Client(member), "after/19"));
        }

        // The faulty member stays out of leadership for good (standby): it is never seen leading again.
        var status = await KvHttp.ClusterAsync(cluster.Client(healthy[0]));
        Assert.NotEqual(faulty.Id, status.GetProperty("leaderId").GetString());

        // Mended and restarted, it replays from its last checkpoint and catches up with everything.
        await RestartWithFaultAsync(cluster, faulty, fault: false);
        await Eventually.TrueAsync(async () =>
        {
            using var ready = await faultyClient.GetAsync("/readyz");
            return ready.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(30), "the mended member to be ready");
        Assert.Equal("42", await KvHttp.GetValueAsync(faultyClient, poisonKey));
        Assert.Equal("19", await KvHttp.GetValueAsync(faultyClient, "after/19"));
    }
}
