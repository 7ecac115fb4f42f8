using System.Diagnostics;

namespace GlobalZone.IntegrationTests.Api;

/// <summary>
/// Leases across a leader change: a lease kept alive is not expired by the new leader (etcd issue 9395), and an
/// abandoned lease still expires within about TTL plus an election after its last keep-alive (etcd issue 9888).
/// </summary>
public sealed class LeaseFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestCluster? cluster;

    public async Task InitializeAsync() => cluster = await SettledCluster.StartAsync("lease-failover", "2+1+0", output);

    public async Task DisposeAsync()
    {
        if (cluster is not null)
            await cluster.DisposeAsync();
    }

    [Fact]
    public async Task KeptAliveLeaseSurvivesALeaderKillAndExpiresOnceAbandoned()
    {
        // Long enough that the test's own keep-alives, delayed by the election, stay within it.
        const double ttl = 3;
        var leader = await cluster!.WaitForLeaderAsync();
        var live = cluster.Members.Where(m => m.Id != leader.Id).ToList();
        var lease = await ApiHttp.GrantLeaseAsync(cluster.Client(live[0]), ttl);
        Assert.Equal(200, (await ApiHttp.PutAsync(cluster.Client(live[1]), $"held/key?lease={lease}", "1")).Code);

        // Keep-alives every 400 ms through the followers; the leader is killed one second in.
        var clock = Stopwatch.StartNew();
        var lastAcknowledgedSentAt = TimeSpan.Zero;
        var lastSentAt = TimeSpan.Zero;
        var killed = false;
        var i = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(6))
        {
            if (!killed && clock.Elapsed > TimeSpan.FromSeconds(1))
            {
                leader.Kill();
                killed = true;
            }

            var sentAt = lastSentAt = clock.Elapsed;
            try
            {
                var renewed = await ApiHttp.PostAsync(cluster.Client(live[i++ % 2]), $"/v1/leases/{lease}/keepalive", "");
                Assert.True(renewed.Code is 200 or 503 or 504, renewed.ToString());
                if (renewed.Code == 200)
                    lastAcknowledgedSentAt = sentAt;
            }
            catch (HttpRequestException)
            {
                // retried on the next round
            }

            // The holder's own view: it must never be past its TTL since the last acknowledged keep-alive.
            Assert.True(clock.Elapsed - lastAcknowledgedSentAt < TimeSpan.FromSeconds(ttl), "the test's own keep-alives fell behind");
            await Task.Delay(400);
        }

        Assert.Equal(200, (await ApiHttp.GetThroughFailoverAsync(cluster.Client(live[0]), "/v1/kv/held/key")).Code);
        Assert.Equal(200, (await ApiHttp.GetThroughFailoverAsync(cluster.Client(live[1]), $"/v1/leases/{lease}")).Code);

        // Abandoned now: it expires, no sooner than the TTL after the last acknowledged keep-alive was sent.
        await Eventually.TrueAsync(async () => (await ApiHttp.GetThroughFailoverAsync(cluster.Client(live[0]), "/v1/kv/held/key")).Code == 404,
            TimeSpan.FromSeconds(10), "the abandoned lease to expire");
        var expiredAfter = clock.Elapsed - lastAcknowledgedSentAt;
        var expiredAfterLastAttempt = clock.Elapsed - lastSentAt;
        output.WriteLine($"expired {expiredAfter.TotalSeconds:F2}s after the last acknowledged keep-alive was sent, "
            + $"{expiredAfterLastAttempt.TotalSeconds:F2}s after the last keep-alive attempt (TTL {ttl}s)");
        // Never early: the TTL had passed since the last keep-alive the holder saw acknowledged. An attempt that
        // got 503/504 may still have been applied (outcome unknown), so the upper bound counts from the last attempt.
        Assert.True(expiredAfter >= TimeSpan.FromSeconds(ttl), $"expired after {expiredAfter}");
        Assert.True(expiredAfterLastAttempt < TimeSpan.FromSeconds(ttl + 1.5), $"expired {expiredAfterLastAttempt} after the last attempt");
    }
}
