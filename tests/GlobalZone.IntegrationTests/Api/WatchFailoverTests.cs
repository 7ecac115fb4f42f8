using System.Globalization;

namespace GlobalZone.IntegrationTests.Api;

/// <summary>
/// A watch opened on a follower sees every revision, in order, none skipped, while the leader is killed mid-stream;
/// and a watch reopened elsewhere with Last-Event-ID resumes right after the last revision seen.
/// </summary>
public sealed class WatchFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestCluster? cluster;

    public async Task InitializeAsync() => cluster = await SettledCluster.StartAsync("watch-failover", "2+1+0", output);

    public async Task DisposeAsync()
    {
        if (cluster is not null)
            await cluster.DisposeAsync();
    }

    [Fact]
    public async Task WatchOnAFollowerSeesEveryRevisionAcrossALeaderKillAndResumes()
    {
        var leader = await cluster!.WaitForLeaderAsync();
        var follower = cluster.AnyFollowerOf(leader);
        var start = (await ApiHttp.PutAsync(cluster.Client(leader), "other/start", "0")).Revision;

        using var streaming = new HttpClient(cluster.CreateClientHandler()) { BaseAddress = new Uri(follower.Url), Timeout = Timeout.InfiniteTimeSpan };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(50));
        var (watch, status, error) = await SseReader.OpenAsync(streaming, $"/v1/watch?prefix=w/&fromRevision={start + 1}", token: cts.Token);
        Assert.True(watch is not null, $"{status} {error}");
        var seen = new List<(long Revision, string Key, int Value)>();
        string? lastId = null;
        var collector = Task.Run(async () =>
        {
            while (await watch!.NextAsync(cts.Token) is { } e)
            {
                lastId = e.Id;
                if (e.Name != "revision")
                    continue;
                var events = e.Data.GetProperty("events");
                Assert.Equal(1, events.GetArrayLength());
                var kv = events[0].GetProperty("kv");
                lock (seen)
                    seen.Add((e.Data.GetProperty("revision").GetInt64(), kv.GetProperty("key").GetString()!, kv.GetProperty("value").GetInt32()));
            }
        });

        // A client that writes through any live member, retrying with an Idempotency-Key through the failover.
        var turn = 0;
        HttpClient AnyLive()
        {
            var live = cluster.Members.Where(m => m.IsRunning).ToList();
            return cluster.Client(live[turn++ % live.Count]);
        }

        const int writes = 60;
        long lastRevision = 0;
        for (var i = 0; i < writes; i++)
        {
            if (i == 20)
            {
                output.WriteLine($"killing leader {leader.Id} after {i} writes");
                leader.Kill();
            }

            var answer = await ApiHttp.PutWithRetriesAsync(AnyLive, $"w/{i:D3}", i.ToString(CultureInfo.InvariantCulture), $"w-{i}", TimeSpan.FromSeconds(20));
            lastRevision = answer.Revision;
        }

        await Eventually.TrueAsync(() => { lock (seen) return Task.FromResult(seen.Count > 0 && seen[^1].Revision >= lastRevision); },
            TimeSpan.FromSeconds(15), "the watch to reach the last write");
        List<(long Revision, string Key, int Value)> received;
        lock (seen)
            received = [.. seen];
        // Every write exactly once, in order, at consecutive revisions (only this test writes under w/).
        Assert.Equal(Enumerable.Range(0, writes), received.Select(r => r.Value));
        Assert.Equal(Enumerable.Range(0, writes).Select(i => $"w/{i:D3}"), received.Select(r => r.Key));
        Assert.Equal(Enumerable.Range(0, writes).Select(i => start + 1 + i), received.Select(r => r.Revision));

        // Disconnect; more writes happen; reconnect on the other live member from the last event id.
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => collector);
        await watch!.DisposeAsync();
        Assert.Equal(lastRevision.ToString(CultureInfo.InvariantCulture), lastId);
        for (var i = writes; i < writes + 10; i++)
            lastRevision = (await ApiHttp.PutWithRetriesAsync(AnyLive, $"w/{i:D3}", i.ToString(CultureInfo.InvariantCulture), $"w-{i}", TimeSpan.FromSeconds(20))).Revision;

        var other = cluster.Members.First(m => m.IsRunning && m.Id != follower.Id);
        using var streaming2 = new HttpClient(cluster.CreateClientHandler()) { BaseAddress = new Uri(other.Url), Timeout = Timeout.InfiniteTimeSpan };
        using var cts2 = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var (resumed, status2, error2) = await SseReader.OpenAsync(streaming2, "/v1/watch?prefix=w/", lastEventId: lastId, token: cts2.Token);
        Assert.True(resumed is not null, $"{status2} {error2}");
        await using var _ = resumed;
        var after = new List<long>();
        while (after.Count < 10 && await resumed!.NextAsync(cts2.Token) is { } e)
        {
            if (e.Name == "revision")
                after.Add(e.Data.GetProperty("revision").GetInt64());
        }

        Assert.Equal(Enumerable.Range(1, 10).Select(i => start + writes + i), after);
        Assert.Equal(lastRevision, after[^1]);
    }
}
