using System.Diagnostics;
using System.Globalization;

namespace GlobalZone.IntegrationTests.Api;

/// <summary>
/// Leases and locks on a real three-member cluster: expiry deletes attached keys and hands locks to waiters in
/// order, fencing tokens grow, and a write carrying a stale token is refused.
/// </summary>
public sealed class LeaseAndLockTests(ThreeVoterCluster fixture, ITestOutputHelper output) : IClassFixture<ThreeVoterCluster>
{
    private TestCluster Cluster => fixture.Cluster;

    private HttpClient Client(int i) => Cluster.Client(Cluster.Members[i % Cluster.Members.Count]);

    [Fact]
    public async Task LeaseExpiryDeletesAttachedKeysAndHandsTheLockToTheWaiter()
    {
        const double ttl = 2;
        var sent = Stopwatch.StartNew();
        var holder = await ApiHttp.GrantLeaseAsync(Client(0), ttl);
        var waiter = await ApiHttp.GrantLeaseAsync(Client(1), 60);
        Assert.Equal(200, (await ApiHttp.PutAsync(Client(1), $"expiry/a?lease={holder}", "1")).Code);
        Assert.Equal(200, (await ApiHttp.PutAsync(Client(2), $"expiry/b?lease={holder}", "2")).Code);
        Assert.Equal(200, (await ApiHttp.PutAsync(Client(2), "expiry/unleased", "3")).Code);
        var grant = await ApiHttp.PostAsync(Client(0), "/v1/locks/expiry/lock", $"{{\"lease\":{holder},\"owner\":\"first\"}}");
        Assert.Equal(200, grant.Code);
        var firstToken = grant.Body.GetProperty("fencingToken").GetInt64();
        var keys = await ApiHttp.GetAsync(Client(2), $"/v1/leases/{holder}?keys");
        Assert.Equal(["expiry/a", "expiry/b"], keys.Body.GetProperty("keys").EnumerateArray().Select(k => k.GetString()));

        // Queued behind the holder; answered when the holder's lease expires.
        var waiting = ApiHttp.PostAsync(Client(2), "/v1/locks/expiry/lock", $"{{\"lease\":{waiter},\"wait\":20,\"owner\":\"second\"}}");
        await Eventually.TrueAsync(async () => (await ApiHttp.GetAsync(Client(1), "/v1/locks/expiry/lock")).Body.GetProperty("waiters").GetArrayLength() == 1,
            TimeSpan.FromSeconds(5), "the waiter to be queued");

        await Eventually.TrueAsync(async () => (await ApiHttp.GetAsync(Client(1), "/v1/kv/expiry/a")).Code == 404, TimeSpan.FromSeconds(10), "the lease to expire");
        var expiredAfter = sent.Elapsed;
        output.WriteLine($"lease of {ttl}s observed expired {expiredAfter.TotalSeconds:F2}s after its grant was sent");
        // Never before the TTL (counted from before the grant was sent), and within TTL + an election timeout + slack.
        Assert.True(expiredAfter >= TimeSpan.FromSeconds(ttl), $"expired after only {expiredAfter}");
        Assert.True(expiredAfter < TimeSpan.FromSeconds(ttl + 2), $"expired only after {expiredAfter}");

        Assert.Equal(404, (await ApiHttp.GetAsync(Client(0), "/v1/kv/expiry/b")).Code);
        Assert.Equal(200, (await ApiHttp.GetAsync(Client(0), "/v1/kv/expiry/unleased")).Code);
        Assert.Equal(404, (await ApiHttp.GetAsync(Client(2), $"/v1/leases/{holder}")).Code);
        Assert.Equal(404, (await ApiHttp.PostAsync(Client(2), $"/v1/leases/{holder}/keepalive", "")).Code);

        var second = await waiting;
        Assert.True(second.Code == 200, second.ToString());
        Assert.Equal(waiter, second.Body.GetProperty("lease").GetInt64());
        Assert.True(second.Body.GetProperty("fencingToken").GetInt64() > firstToken);
        var info = await ApiHttp.GetAsync(Client(0), "/v1/locks/expiry/lock");
        Assert.Equal("second", info.Body.GetProperty("holder").GetProperty("owner").GetString());
        Assert.Equal(0, info.Body.GetProperty("waiters").GetArrayLength());
    }

    [Fact]
    public async Task KeepAlivesHoldALeasePastItsTtl()
    {
        var lease = await ApiHttp.GrantLeaseAsync(Client(0), 1.5);
        Assert.Equal(200, (await ApiHttp.PutAsync(Client(0), $"kept/a?lease={lease}", "1")).Code);
        var watch = Stopwatch.StartNew();
        var i = 0;
        while (watch.Elapsed < TimeSpan.FromSeconds(4))
        {
            var renewed = await ApiHttp.PostAsync(Client(i++), $"/v1/leases/{lease}/keepalive", "");
            Assert.True(renewed.Code == 200, renewed.ToString());
            Assert.Equal(1.5, renewed.Body.GetProperty("remaining").GetDouble());
            await Task.Delay(300);
        }

        Assert.Equal(200, (await ApiHttp.GetAsync(Client(1), "/v1/kv/kept/a")).Code);
        var revoked = await ApiHttp.SendAsync(Client(2), "DELETE", $"/v1/leases/{lease}");
        Assert.Equal(1, revoked.Body.GetProperty("deleted").GetInt64());
        Assert.Equal(404, (await ApiHttp.GetAsync(Client(1), "/v1/kv/kept/a")).Code);
    }

    [Fact]
    public async Task FencedWritesWithAStaleTokenAreRefused()
    {
        var first = await ApiHttp.GrantLeaseAsync(Client(0), 60);
        var second = await ApiHttp.GrantLeaseAsync(Client(1), 60);
        var grant = await ApiHttp.PostAsync(Client(0), "/v1/locks/fence/L", $"{{\"lease\":{first}}}");
        var fence1 = grant.Body.GetProperty("fence").GetString()!;
        Assert.Equal(200, (await ApiHttp.PutAsync(Client(1), "fence/data", "\"by first\"", ("If-Fencing-Token", fence1))).Code);

        // The first holder loses the lock (released here; an expiry does the same), the second gets it.
        Assert.Equal(200, (await ApiHttp.SendAsync(Client(2), "DELETE", $"/v1/locks/fence/L?lease={first}")).Code);
        var grant2 = await ApiHttp.PostAsync(Client(2), "/v1/locks/fence/L", $"{{\"lease\":{second}}}");
        var token2 = grant2.Body.GetProperty("fencingToken").GetInt64();
        Assert.True(token2 > grant.Body.GetProperty("fencingToken").GetInt64());

        // The paused-then-woken first holder tries to write with its old token: refused, nothing changes.
        var stale = await ApiHttp.PutAsync(Client(0), "fence/data", "\"stale write\"", ("If-Fencing-Token", fence1));
        Assert.Equal(409, stale.Code);
        Assert.EndsWith("/fencing-token-rejected", stale.Body.GetProperty("type").GetString());
        Assert.Equal(token2, stale.Body.GetProperty("lock").GetProperty("holder").GetProperty("fencingToken").GetInt64());
        var staleTxn = await ApiHttp.PostAsync(Client(1), "/v1/txn", "{\"success\":[{\"op\":\"put\",\"key\":\"fence/data\",\"value\":\"txn\"}]}", ("If-Fencing-Token", fence1));
        Assert.Equal(409, staleTxn.Code);
        var staleDelete = await ApiHttp.SendAsync(Client(2), "DELETE", "/v1/kv/fence/data", headers: [("If-Fencing-Token", fence1)]);
        Assert.Equal(409, staleDelete.Code);
        Assert.Equal("by first", (await ApiHttp.GetAsync(Client(2), "/v1/kv/fence/data")).Body.GetProperty("value").GetString());

        Assert.Equal(200, (await ApiHttp.PutAsync(Client(0), "fence/data", "\"by second\"", ("If-Fencing-Token", grant2.Body.GetProperty("fence").GetString()!))).Code);
        Assert.Equal(409, (await ApiHttp.PutAsync(Client(0), "fence/data", "1", ("If-Fencing-Token", "fence/free-lock:1"))).Code);
    }

    [Fact]
    public async Task WaitersAreServedFirstInFirstOutWithGrowingTokens()
    {
        var leases = new List<long>();
        for (var i = 0; i < 4; i++)
            leases.Add(await ApiHttp.GrantLeaseAsync(Client(i), 60));
        var held = await ApiHttp.PostAsync(Client(0), "/v1/locks/fifo", $"{{\"lease\":{leases[0]}}}");
        Assert.Equal(200, held.Code);
        var busy = await ApiHttp.PostAsync(Client(1), "/v1/locks/fifo", $"{{\"lease\":{leases[1]}}}");
        Assert.Equal(409, busy.Code);
        Assert.EndsWith("/lock-held", busy.Body.GetProperty("type").GetString());

        var waits = new List<Task<ApiAnswer>>();
        for (var i = 1; i < 4; i++)
        {
            // Queue them one after another (on different members) so the arrival order is known.
            waits.Add(ApiHttp.PostAsync(Client(i), "/v1/locks/fifo", $"{{\"lease\":{leases[i]},\"wait\":30}}"));
            var expected = i;
            await Eventually.TrueAsync(async () => (await ApiHttp.GetAsync(Client(0), "/v1/locks/fifo")).Body.GetProperty("waiters").GetArrayLength() == expected,
                TimeSpan.FromSeconds(5), $"waiter {i} queued");
        }

        var tokens = new List<long> { held.Body.GetProperty("fencingToken").GetInt64() };
        for (var i = 1; i < 4; i++)
        {
            var release = await ApiHttp.SendAsync(Client(i), "DELETE", $"/v1/locks/fifo?token={tokens[^1]}");
            Assert.True(release.Code == 200, release.ToString());
            var granted = await waits[i - 1].WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(granted.Code == 200, granted.ToString());
            Assert.Equal(leases[i], granted.Body.GetProperty("lease").GetInt64());
            tokens.Add(granted.Body.GetProperty("fencingToken").GetInt64());
            Assert.True(tokens[^1] > tokens[^2]);
            Assert.False(waits.Skip(i).Any(w => w.IsCompleted), "a later waiter was served early");
        }

        output.WriteLine("tokens: " + string.Join(", ", tokens.Select(t => t.ToString(CultureInfo.InvariantCulture))));
    }

    [Fact]
    public async Task AWaiterThatTimesOutLeavesTheQueue()
    {
        var holder = await ApiHttp.GrantLeaseAsync(Client(0), 60);
        var waiter = await ApiHttp.GrantLeaseAsync(Client(1), 60);
        Assert.Equal(200, (await ApiHttp.PostAsync(Client(0), "/v1/locks/timeout", $"{{\"lease\":{holder}}}")).Code);
        var timedOut = await ApiHttp.PostAsync(Client(1), "/v1/locks/timeout", $"{{\"lease\":{waiter},\"wait\":0.5}}");
        Assert.Equal(409, timedOut.Code);
        Assert.Equal(0, (await ApiHttp.GetAsync(Client(2), "/v1/locks/timeout")).Body.GetProperty("waiters").GetArrayLength());
        // Released now, nobody is waiting: the lock is free.
        Assert.Equal(200, (await ApiHttp.SendAsync(Client(2), "DELETE", $"/v1/locks/timeout?lease={holder}")).Code);
        Assert.False((await ApiHttp.GetAsync(Client(2), "/v1/locks/timeout")).Body.TryGetProperty("holder", out _));
    }
}
