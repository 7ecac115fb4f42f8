using System.Diagnostics;
using System.Net;
using GlobalZone.Client;
using GlobalZone.Contracts;

namespace GlobalZone.ClientTests;

/// <summary>Caps reached (issue 11): 429 waits Retry-After within the budget, then a clear exception; a full member is skipped.</summary>
public sealed class LimitRetryTests
{
    private static GlobalZoneClient Client(StubTransport transport, Action<GlobalZoneClientOptions>? configure = null)
    {
        var options = new GlobalZoneClientOptions
        {
            Endpoints = ["http://a.test:7000", "http://b.test:7000"],
            Site = "dc1",
            InitialBackoff = TimeSpan.FromMilliseconds(5),
            MaxBackoff = TimeSpan.FromMilliseconds(20),
            RequestTimeout = TimeSpan.FromSeconds(2),
        };
        configure?.Invoke(options);
        return new GlobalZoneClient(options, new HttpClient(transport) { Timeout = Timeout.InfiniteTimeSpan });
    }

    private static bool IsCluster(HttpRequestMessage request) => request.RequestUri!.AbsolutePath == "/v1/cluster";

    private static HttpResponseMessage Full(HttpStatusCode status, string type, int retryAfterSeconds)
    {
        var answer = StubTransport.Problem(status, type, "cap reached");
        answer.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(retryAfterSeconds));
        return answer;
    }

    [Fact]
    public async Task A429IsRetriedAfterWhatRetryAfterSaysWithTheSameIdempotencyKey()
    {
        var grants = 0;
        var transport = new StubTransport((request, _) =>
        {
            if (IsCluster(request))
                return Task.FromResult(StubTransport.Cluster(leader: "a"));
            return Task.FromResult(Interlocked.Increment(ref grants) == 1
                ? Full(HttpStatusCode.TooManyRequests, ProblemTypes.TooManyLeases, 1)
                : StubTransport.Json(HttpStatusCode.Created, """{"id":5,"ttl":10,"remaining":10}"""));
        });
        await using var client = Client(transport);
        var watch = Stopwatch.StartNew();
        await using var lease = await client.GrantLeaseAsync(TimeSpan.FromSeconds(10), new LeaseOptions { KeepAlive = false });
        Assert.Equal(5, lease.Id);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(10));
        var posts = transport.Requests.Where(r => r.Method == "POST").ToList();
        Assert.Equal(2, posts.Count);
        Assert.Equal(posts[0].IdempotencyKey, posts[1].IdempotencyKey);
    }

    [Fact]
    public async Task A429ThatWouldOutlastTheBudgetThrowsALimitExceptionAtOnce()
    {
        var transport = new StubTransport((request, _) => Task.FromResult(IsCluster(request)
            ? StubTransport.Cluster(leader: "a")
            : Full(HttpStatusCode.TooManyRequests, ProblemTypes.TooManyLockWaiters, 5)));
        await using var client = Client(transport, o => { o.RetryBudget = TimeSpan.FromSeconds(2); o.MaxRetryAfter = TimeSpan.FromSeconds(30); });
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<GlobalZoneLimitExceededException>(() => client.PutAsync("k", 1));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
        Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.Equal(ProblemTypes.TooManyLockWaiters, error.ProblemType);
        Assert.Equal(TimeSpan.FromSeconds(5), error.RetryAfter);
    }

    [Fact]
    public async Task AMemberFullOfWatchesIsSkippedForAnotherAtOnce()
    {
        var transport = new StubTransport((request, _) =>
        {
            if (IsCluster(request))
                return Task.FromResult(StubTransport.Cluster(leader: "b"));
            return Task.FromResult(request.RequestUri!.Host == "a.test"
                ? Full(HttpStatusCode.ServiceUnavailable, ProblemTypes.TooManyBlockingReads, 30)
                : StubTransport.Json(HttpStatusCode.OK, """{"key":"k","value":1,"createRevision":1,"modRevision":2,"version":2}"""));
        });
        await using var client = Client(transport, o => o.MaxRetryAfter = TimeSpan.FromSeconds(30));
        var watch = Stopwatch.StartNew();
        var kv = await client.GetAsync("k", ReadOptions.Stale());
        Assert.Equal(2, kv!.ModRevision);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }
}
