using System.Diagnostics;
using System.Net;
using GlobalZone.Client;
using GlobalZone.Contracts;

namespace GlobalZone.ClientTests;

/// <summary>The retry rules, against a scripted transport: where attempts go, what they carry, when they stop.</summary>
public sealed class RetryTests
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

    [Fact]
    public async Task AWriteRetriedAfter504AndAResetKeepsItsIdempotencyKeyAndGoesToTheLeaderFirst()
    {
        var writes = 0;
        var transport = new StubTransport((request, _) =>
        {
            if (IsCluster(request))
                return Task.FromResult(StubTransport.Cluster(leader: "b"));
            return ++writes switch
            {
                1 => Task.FromResult(StubTransport.Problem(HttpStatusCode.GatewayTimeout, ProblemTypes.OutcomeUnknown)),
                2 => throw new HttpRequestException(HttpRequestError.ResponseEnded, "reset"),
                _ => Task.FromResult(StubTransport.Json(HttpStatusCode.OK, """{"revision":7}""")),
            };
        });
        await using var client = Client(transport);
        var result = await client.PutAsync("k", 1);
        Assert.Equal(7, result.Revision);
        var puts = transport.Requests.Where(r => r.Method == "PUT").ToList();
        Assert.Equal(3, puts.Count);
        Assert.Equal("b.test", puts[0].Url.Host);
        Assert.NotNull(puts[0].IdempotencyKey);
        Assert.All(puts, p => Assert.Equal(puts[0].IdempotencyKey, p.IdempotencyKey));
        Assert.DoesNotContain(transport.Requests, r => r.Url.Host == "w.test");
    }

    [Fact]
    public async Task ARefusedConnectionFailsOverAtOnceAndTheWitnessIsNeverAsked()
    {
        var transport = new StubTransport((request, _) =>
        {
            if (IsCluster(request))
                return Task.FromResult(StubTransport.Cluster(leader: "b"));
            if (request.RequestUri!.Host == "a.test")
                throw StubTransport.Refused();
            return Task.FromResult(StubTransport.Json(HttpStatusCode.OK, """{"key":"k","value":1,"createRevision":1,"modRevision":2,"version":2}"""));
        });
        await using var client = Client(transport);
        for (var i = 0; i < 3; i++)
        {
            var kv = await client.GetAsync("k");
            Assert.Equal(2, kv!.ModRevision);
        }

        var reads = transport.Requests.Where(r => r.Url.AbsolutePath == "/v1/kv/k").ToList();
        // The first read tried a (own site), failed, then b; later reads skip the quarantined a.
        Assert.Equal(["a.test", "b.test", "b.test", "b.test"], reads.Select(r => r.Url.Host));
        Assert.DoesNotContain(transport.Requests, r => r.Url.Host == "w.test");
    }

    [Fact]
    public async Task A503WaitsWhatRetryAfterSays()
    {
        var deletes = 0;
        var transport = new StubTransport((request, _) =>
        {
            if (IsCluster(request))
                return Task.FromResult(StubTransport.Cluster(leader: null));
            if (request.Method == HttpMethod.Delete && Interlocked.Increment(ref deletes) == 1)
            {
                var busy = StubTransport.Problem(HttpStatusCode.ServiceUnavailable, ProblemTypes.NoLeader);
                busy.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(1));
                return Task.FromResult(busy);
            }

            return Task.FromResult(StubTransport.Json(HttpStatusCode.OK, """{"revision":3,"deleted":1}"""));
        });
        await using var client = Client(transport);
        var watch = Stopwatch.StartNew();
        var result = await client.DeleteAsync("k");
        Assert.Equal(1, result.Deleted);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task TheBudgetEndsRetriesWithAnUnavailableErrorThatSaysTheOutcomeIsUnknown()
    {
        var transport = new StubTransport((request, _) => Task.FromResult(IsCluster(request)
            ? StubTransport.Cluster(leader: "a")
            : StubTransport.Problem(HttpStatusCode.GatewayTimeout, ProblemTypes.OutcomeUnknown)));
        await using var client = Client(transport, o => o.MaxAttempts = 4);
        var error = await Assert.ThrowsAsync<GlobalZoneUnavailableException>(() => client.PutAsync("k", "v"));
        Assert.True(error.OutcomeUnknown);
        Assert.Equal(4, error.Attempts);
        Assert.Equal(ProblemTypes.OutcomeUnknown, error.ProblemType);
        Assert.Single(transport.Requests.Where(r => r.Method == "PUT").Select(r => r.IdempotencyKey).Distinct());
    }

    [Fact]
    public async Task AMisdirectedAnswerMarksTheWitnessAndTheRequestMovesOn()
    {
        var transport = new StubTransport((request, _) =>
        {
            if (IsCluster(request))
                throw StubTransport.Refused();
            return Task.FromResult(request.RequestUri!.Host == "a.test"
                ? StubTransport.Problem(HttpStatusCode.MisdirectedRequest, ProblemTypes.WitnessNoClients)
                : StubTransport.Problem(HttpStatusCode.NotFound, ProblemTypes.KeyNotFound, "Key 'k' does not exist."));
        });
        await using var client = Client(transport);
        Assert.Null(await client.GetAsync("k"));
        Assert.Null(await client.GetAsync("k"));
        Assert.Single(transport.Requests, r => r.Url.Host == "a.test" && r.Url.AbsolutePath == "/v1/kv/k");
    }

    [Fact]
    public async Task PreconditionAndFencingRefusalsAreTypedAndNotRetried()
    {
        var transport = new StubTransport((request, _) =>
        {
            if (IsCluster(request))
                return Task.FromResult(StubTransport.Cluster(leader: "a"));
            if (request.Headers.Contains(HeaderNames.FencingToken))
                return Task.FromResult(StubTransport.Problem(HttpStatusCode.Conflict, ProblemTypes.FencingTokenRejected));
            var failed = StubTransport.Problem(HttpStatusCode.PreconditionFailed, ProblemTypes.PreconditionFailed);
            failed.Headers.ETag = new System.Net.Http.Headers.EntityTagHeaderValue("\"9\"");
            return Task.FromResult(failed);
        });
        await using var client = Client(transport);
        Assert.False(await client.CompareAndSetAsync("k", 1, expectedModRevision: 3));
        var precondition = await Assert.ThrowsAsync<PreconditionFailedException>(() => client.PutAsync("k", 1, new WriteOptions { IfModRevision = 3 }));
        Assert.Equal(9, precondition.CurrentModRevision);
        await Assert.ThrowsAsync<FencingTokenRejectedException>(() => client.PutAsync("k", 1, new WriteOptions { Fence = "lock:4" }));
        Assert.Equal(3, transport.Requests.Count(r => r.Method == "PUT"));
    }
}
