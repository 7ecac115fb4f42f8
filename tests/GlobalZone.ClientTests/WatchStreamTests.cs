using System.Net;
using System.Text;
using GlobalZone.Client;
using GlobalZone.Contracts;

namespace GlobalZone.ClientTests;

/// <summary>A watch over streams that break: it resumes from the first undelivered revision and never repeats one.</summary>
public sealed class WatchStreamTests
{
    private static string Revision(long revision, string key) =>
        $"id: {revision}\nevent: revision\ndata: {{\"revision\":{revision},\"events\":[{{\"type\":\"put\",\"kv\":{{\"key\":\"{key}\",\"value\":{revision},\"createRevision\":{revision},\"modRevision\":{revision},\"version\":1}}}}]}}\n\n";

    private static HttpResponseMessage Stream(string body) => new(HttpStatusCode.OK)
    {
        Content = new StringContent(body, Encoding.UTF8, "text/event-stream"),
    };

    [Fact]
    public async Task ResumesAfterABrokenStreamFromTheNextRevisionAndSkipsRepeats()
    {
        var watchQueries = new List<string>();
        var transport = new StubTransport((request, _) =>
        {
            if (request.RequestUri!.AbsolutePath == "/v1/cluster")
                return Task.FromResult(StubTransport.Cluster(leader: "a"));
            lock (watchQueries)
            {
                watchQueries.Add(request.RequestUri.Query);
                return Task.FromResult(watchQueries.Count switch
                {
                    // From "now": progress says 10, then revisions 11 and 12, then the stream ends (member died).
                    1 => Stream("event: progress\ndata: {\"revision\":10}\n\n" + Revision(11, "p/a") + Revision(12, "p/b")),
                    // A member that is behind re-sends 12 (must be skipped), then 13; a progress event moves past 20.
                    2 => Stream("event: progress\ndata: {\"revision\":12}\n\n" + Revision(12, "p/b") + Revision(13, "p/c") + "event: progress\ndata: {\"revision\":20}\n\n"),
                    3 => StubTransport.Problem(HttpStatusCode.ServiceUnavailable, ProblemTypes.NoLeader),
                    _ => Stream(Revision(21, "p/d")),
                });
            }
        });
        await using var client = new GlobalZoneClient(new GlobalZoneClientOptions { Endpoints = ["http://a.test:7000", "http://b.test:7000"], InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(10) },
            new HttpClient(transport));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<long>();
        await foreach (var change in client.WatchPrefixAsync("p/", cancellationToken: cts.Token))
        {
            seen.Add(change.Kv.ModRevision);
            if (seen.Count == 4)
                break;
        }

        Assert.Equal([11, 12, 13, 21], seen);
        Assert.Equal("?prefix=p%2F", watchQueries[0]);
        Assert.Equal("?prefix=p%2F&fromRevision=13", watchQueries[1]);
        Assert.Equal("?prefix=p%2F&fromRevision=21", watchQueries[^1]);
    }

    [Fact]
    public async Task ACompactedStartIsAnError()
    {
        var transport = new StubTransport((request, _) =>
        {
            if (request.RequestUri!.AbsolutePath == "/v1/cluster")
                return Task.FromResult(StubTransport.Cluster(leader: "a"));
            var gone = StubTransport.Json(HttpStatusCode.Gone,
                """{"type":"https://globalzone.dev/problems/revision-compacted","title":"That revision is compacted.","status":410,"oldestRevision":50}""", "application/problem+json");
            return Task.FromResult(gone);
        });
        await using var client = new GlobalZoneClient(new GlobalZoneClientOptions { Endpoints = ["http://a.test:7000"] }, new HttpClient(transport));
        var error = await Assert.ThrowsAsync<WatchCompactedException>(async () =>
        {
            await foreach (var _ in client.WatchAsync("k", new WatchOptions { FromRevision = 3 }))
            {
            }
        });
        Assert.Equal(3, error.RequestedRevision);
        Assert.Equal(50, error.OldestRevision);
    }

    [Fact]
    public async Task ABoundedWatchGivesUpAfterThatManyRoundsWithoutAMemberAndAnUnboundedOneKeepsTrying()
    {
        // Every member refuses every connection: each connect uses up its attempts, then the watch starts another round.
        var watchAttempts = 0;
        var transport = new StubTransport((request, _) =>
        {
            if (request.RequestUri!.AbsolutePath == "/v1/watch")
                Interlocked.Increment(ref watchAttempts);
            throw StubTransport.Refused();
        });
        var options = new GlobalZoneClientOptions
        {
            Endpoints = ["http://a.test:7000"], MaxAttempts = 2, InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(10),
        };
        await using var client = new GlobalZoneClient(options, new HttpClient(transport));

        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            await Assert.ThrowsAsync<GlobalZoneUnavailableException>(async () =>
            {
                await foreach (var _ in client.WatchAsync("k", new WatchOptions { MaxUnavailableRounds = 3 }, deadline.Token))
                {
                }
            });
            Assert.False(deadline.IsCancellationRequested);
        }

        // Three rounds of two attempts each, and no fourth round.
        Assert.Equal(6, Volatile.Read(ref watchAttempts));

        // Unbounded (the default): still trying when the caller stops it, well past three rounds.
        Volatile.Write(ref watchAttempts, 0);
        using var stop = new CancellationTokenSource();
        var unbounded = Task.Run(async () =>
        {
            await foreach (var _ in client.WatchAsync("k", cancellationToken: stop.Token))
            {
            }
        });
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (Volatile.Read(ref watchAttempts) < 10 && DateTime.UtcNow < until && !unbounded.IsCompleted)
            await Task.Delay(20);
        Assert.False(unbounded.IsCompleted, "an unbounded watch ended by itself");
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => unbounded);
    }
}
