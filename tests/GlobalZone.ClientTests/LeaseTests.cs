using System.Diagnostics;
using System.Net;
using GlobalZone.Client;
using GlobalZone.Contracts;

namespace GlobalZone.ClientTests;

/// <summary>When a lease counts as lost: the cluster says it is gone, or renewals fail for a whole TTL.</summary>
public sealed class LeaseTests
{
    private static GlobalZoneClient Client(Func<HttpRequestMessage, Task<HttpResponseMessage>> keepAlive)
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
        }, new HttpClient(transport));
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
        await using var client = Client(_ => throw StubTransport.Refused());
        var clock = Stopwatch.StartNew();
        await using var lease = await client.GrantLeaseAsync(TimeSpan.FromSeconds(1));
        await Task.Delay(Timeout.InfiniteTimeSpan, lease.LostToken).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(3));
        Assert.True(lease.IsLost);
    }

    [Fact]
    public async Task RenewalsKeepTheLeaseAndARevokedLeaseIsNotReportedLost()
    {
        var renewals = 0;
        await using var client = Client(_ =>
        {
            Interlocked.Increment(ref renewals);
            return Task.FromResult(StubTransport.Json(HttpStatusCode.OK, """{"id":42,"ttl":1,"remaining":1}"""));
        });
        var lease = await client.GrantLeaseAsync(TimeSpan.FromSeconds(1), new LeaseOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(100) });
        await Task.Delay(TimeSpan.FromSeconds(1.6));
        Assert.False(lease.IsLost, "lost while renewing: " + lease.LostReason);
        Assert.True(Volatile.Read(ref renewals) >= 5, $"{renewals} renewals");
        await lease.DisposeAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        Assert.False(lease.IsLost, "reported lost after a normal dispose: " + lease.LostReason);
    }
}
