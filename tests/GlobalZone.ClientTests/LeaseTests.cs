using System.Net;
using GlobalZone.Client;
using GlobalZone.Contracts;

namespace GlobalZone.ClientTests;

/// <summary>When a lease counts as lost: the cluster says it is gone, or renewals fail for a whole TTL.</summary>
public sealed class LeaseTests
{
    private static GlobalZoneClient Client(Func<HttpRequestMessage, Task<HttpResponseMessage>> keepAlive, TimeProvider? time = null)
    {
        var transport = new StubTransport((request, _) =>
        {
            var path = request.RequestUri!.AbsolutePath;
            if (path == "/v1/cluster")
                return Task.FromResult(StubTransport.Cluster(leader: "a"));
            if (path == "/v1/leases" && request.Method == HttpMethod.Post)
                return Task.FromResult(StubTransport.Json(HttpStatusCode.Created, """{"id":42,"ttl":1,"remaining":1}"""));
            if (path.EndsWith("/keepalive", StringComparison.Ordinal))
                return keepAlive(request);
            return Task.FromResult(StubTransport.Problem(HttpStatusCode.NotFound, ProblemTypes.LeaseNotFound));
        });
        return new GlobalZoneClient(new GlobalZoneClientOptions
        {
            Endpoints = ["http://a.test:7000"],
            InitialBackoff = TimeSpan.FromMilliseconds(5),
            MaxBackoff = TimeSpan.FromMilliseconds(20),
            RequestTimeout = TimeSpan.FromMilliseconds(300),
        }, new HttpClient(transport), null, null, time ?? TimeProvider.System);
    }

    [Fact]
    public async Task ALeaseTheClusterNoLongerHasIsLostAtTheNextRenewal()
    {
        await using var client = Client(_ => Task.FromResult(StubTransport.Problem(HttpStatusCode.NotFound, ProblemTypes.LeaseNotFound)));
        await using var lease = await client.GrantLeaseAsync(TimeSpan.FromSeconds(1), new LeaseOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(50) });
        await Task.Delay(Timeout.InfiniteTimeSpan, lease.LostToken).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(lease.IsLost);
        Assert.Contains("no longer has the lease", lease.LostReason);
    }

    [Fact]
    public async Task ALeaseNotRenewedForAWholeTtlIsLostThoughNoAnswerCame()
    {
        // On a fake clock: the loss is a property of the TTL, not of how busy the machine running the test is.
        var clock = new TimerCountingClock();
        await using var client = Client(_ => throw StubTransport.Refused(), clock);
        await using var lease = await client.GrantLeaseAsync(TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(lease.IsLost, "lost before its TTL ran out: " + lease.LostReason);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(lease.IsLost, "not lost once a whole TTL passed without a renewal");
        Assert.Contains("not renewed within its TTL", lease.LostReason);
    }

    [Fact]
    public async Task RenewalsKeepTheLeaseAndARevokedLeaseIsNotReportedLost()
    {
        var clock = new TimerCountingClock();
        var renewals = 0;
        await using var client = Client(_ =>
        {
            Interlocked.Increment(ref renewals);
            return Task.FromResult(StubTransport.Json(HttpStatusCode.OK, """{"id":42,"ttl":1,"remaining":1}"""));
        }, clock);
        var lease = await client.GrantLeaseAsync(TimeSpan.FromSeconds(1), new LeaseOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(100) });

        // Timers: the TTL countdown, then one per keep-alive pause. Move time only while the loop is parked in a
        // pause, 100 ms at a time, for 2.5 TTLs: without the renewals the countdown would have fired at 1 s.
        var timers = 2;
        for (var step = 0; step < 25; step++)
        {
            await clock.WaitForTimersAsync(timers, $"keep-alive pause {step}");
            clock.Advance(TimeSpan.FromMilliseconds(100));
            Assert.False(lease.IsLost, $"lost while renewing, {(step + 1) * 100} ms in: " + lease.LostReason);
            timers++;
        }

        await clock.WaitForTimersAsync(timers, "the pause after the last renewal");
        Assert.False(lease.IsLost, "lost while renewing: " + lease.LostReason);
        Assert.Equal(25, Volatile.Read(ref renewals));

        await lease.DisposeAsync();
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(lease.IsLost, "reported lost after a normal dispose: " + lease.LostReason);
    }
}
