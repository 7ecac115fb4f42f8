namespace GlobalZone.IntegrationTests.Api;

/// <summary>
/// A replay never claims what is no longer true (issue 11, reproduced before the fix): a lock acquisition replayed
/// with its Idempotency-Key after its lease was revoked and the lock granted to another lease answered 200 with the
/// old grant (fencing token 1, Idempotent-Replayed: true) while lease 2 held the lock. Now it is 409
/// replay-superseded naming the current holder, on every member; a keep-alive replayed after its lease ended likewise.
/// </summary>
public sealed class ReplayTruthTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestCluster? cluster;

    public async Task InitializeAsync() => cluster = await SettledCluster.StartAsync("replay-truth", "2+1+0", output);

    public async Task DisposeAsync()
    {
        if (cluster is not null)
            await cluster.DisposeAsync();
    }

    [Fact]
    public async Task AReplayedLockGrantAfterTheLockPassedToAnotherLeaseIs409NamingTheHolder()
    {
        var leader = await cluster!.WaitForLeaderAsync();
        var follower = cluster.AnyFollowerOf(leader);
        var client = cluster.Client(leader);
        var lease1 = await ApiHttp.GrantLeaseAsync(client, 60);
        var acquire1 = $$"""{"lease":{{lease1}},"owner":"one"}""";
        var key = ("Idempotency-Key", "replay-truth-lock-1");

        var granted = await ApiHttp.PostAsync(client, "/v1/locks/rt/L", acquire1, key);
        Assert.Equal(200, granted.Code);
        var token1 = granted.Body.GetProperty("fencingToken").GetInt64();

        // While the grant is current, the replay repeats it.
        var current = await ApiHttp.PostAsync(client, "/v1/locks/rt/L", acquire1, key);
        Assert.Equal(200, current.Code);
        Assert.Equal("true", current.Header("Idempotent-Replayed"));
        Assert.Equal(token1, current.Body.GetProperty("fencingToken").GetInt64());

        // Lease 1 revoked; lease 2 takes the lock.
        Assert.Equal(200, (await ApiHttp.SendAsync(client, "DELETE", $"/v1/leases/{lease1}")).Code);
        var lease2 = await ApiHttp.GrantLeaseAsync(client, 60);
        var granted2 = await ApiHttp.PostAsync(client, "/v1/locks/rt/L", $$"""{"lease":{{lease2}},"owner":"two"}""");
        Assert.Equal(200, granted2.Code);
        var token2 = granted2.Body.GetProperty("fencingToken").GetInt64();
        Assert.True(token2 > token1);

        // The replay, through the leader and through a follower, tells the truth: no longer current, lease 2 holds it.
        foreach (var member in new[] { leader, follower })
        {
            var replay = await ApiHttp.PostAsync(cluster.Client(member), "/v1/locks/rt/L", acquire1, key);
            output.WriteLine($"replay via {member.Id}: {replay}");
            Assert.Equal(409, replay.Code);
            Assert.Equal("application/problem+json", replay.MediaType);
            Assert.EndsWith("/replay-superseded", replay.Body.GetProperty("type").GetString());
            Assert.Equal("true", replay.Header("Idempotent-Replayed"));
            var holder = replay.Body.GetProperty("lock").GetProperty("holder");
            Assert.Equal(lease2, holder.GetProperty("lease").GetInt64());
            Assert.Equal(token2, holder.GetProperty("fencingToken").GetInt64());
            Assert.Contains($"lease {lease2}", replay.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        // And it changed nothing.
        var now = await ApiHttp.GetAsync(client, "/v1/locks/rt/L");
        Assert.Equal(lease2, now.Body.GetProperty("holder").GetProperty("lease").GetInt64());
    }

    [Fact]
    public async Task AReplayedKeepAliveAfterTheLeaseEndedIs409()
    {
        var leader = await cluster!.WaitForLeaderAsync();
        var client = cluster.Client(leader);
        var lease = await ApiHttp.GrantLeaseAsync(client, 60);
        var key = ("Idempotency-Key", "replay-truth-keepalive-1");
        Assert.Equal(200, (await ApiHttp.PostAsync(client, $"/v1/leases/{lease}/keepalive", "", key)).Code);
        var again = await ApiHttp.PostAsync(client, $"/v1/leases/{lease}/keepalive", "", key);
        Assert.Equal(200, again.Code);
        Assert.Equal("true", again.Header("Idempotent-Replayed"));

        Assert.Equal(200, (await ApiHttp.SendAsync(client, "DELETE", $"/v1/leases/{lease}")).Code);
        var replay = await ApiHttp.PostAsync(client, $"/v1/leases/{lease}/keepalive", "", key);
        Assert.Equal(409, replay.Code);
        Assert.EndsWith("/replay-superseded", replay.Body.GetProperty("type").GetString());
        Assert.Equal("true", replay.Header("Idempotent-Replayed"));
        // A keep-alive without the key says what it always said for a lease that is gone.
        Assert.Equal(404, (await ApiHttp.PostAsync(client, $"/v1/leases/{lease}/keepalive", "")).Code);
    }
}
