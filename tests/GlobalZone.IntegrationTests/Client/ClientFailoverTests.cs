using System.Collections.Concurrent;
using GlobalZone.Client;
using GlobalZone.Contracts;

namespace GlobalZone.IntegrationTests.Client;

/// <summary>
/// The library through a leader kill (SIGKILL): lock acquisition goes on and stays exclusive, and a watch opened on
/// the leader resumes elsewhere without losing or repeating an event. Layout 1+2: the leader settles on the only
/// dc1 member, so a client of site dc1 reads (and watches) from the leader.
/// </summary>
public sealed class ClientFailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task LockAcquisitionContinuesAcrossALeaderKill()
    {
        await using var cluster = await ClientClusters.StartAsync("client-lock-failover", "1+2+0", output);
        var leader = await cluster.WaitForLeaderAsync();
        const int tasks = 4, rounds = 6;
        var name = "client-tests/failover-lock";
        var counter = name + "/counter";
        var done = 0;
        var inside = 0;
        var overlapped = false;
        var tokens = new ConcurrentBag<long>();
        var logging = new TestLogging(output);
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = Enumerable.Range(0, tasks).Select(async t =>
        {
            await using var client = ClientClusters.Client(cluster, site: "dc1", logging: logging.Factory());
            for (var round = 0; round < rounds; round++)
            {
                await using var handle = await client.Locks.AcquireAsync(name, TimeSpan.FromSeconds(60));
                if (Interlocked.Increment(ref inside) > 1)
                    overlapped = true;
                var value = await client.GetValueAsync<long>(counter);
                await client.PutAsync(counter, value + 1, new WriteOptions { FencedBy = handle });
                tokens.Add(handle.FencingToken);
                Interlocked.Decrement(ref inside);
                if (Interlocked.Increment(ref done) == tasks * rounds / 3)
                    killed.TrySetResult();
            }
        }).ToList();

        await killed.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var doneAtKill = Volatile.Read(ref done);
        output.WriteLine($"killing leader {leader.Id} after {doneAtKill} acquisitions");
        leader.Kill();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(90));

        var newLeader = await cluster.WaitForLeaderAsync();
        Assert.NotEqual(leader.Id, newLeader.Id);
        await using var reader = ClientClusters.Client(cluster);
        Assert.Equal(tasks * rounds, await reader.GetValueAsync<long>(counter));
        Assert.False(overlapped, "two holders at once");
        Assert.Equal(tasks * rounds, tokens.Distinct().Count());
        Assert.True(tasks * rounds - doneAtKill >= tasks * rounds / 2, "most acquisitions happened after the kill");
    }

    [Fact]
    public async Task AWatchOnTheLeaderSeesEveryEventOnceAcrossItsKill()
    {
        await using var cluster = await ClientClusters.StartAsync("client-watch-failover", "1+2+0", output);
        var leader = await cluster.WaitForLeaderAsync();
        Assert.Equal("dc1", leader.Spec.Site);
        var logging = new TestLogging(output);
        await using var watcher = ClientClusters.Client(cluster, site: "dc1", logging: logging.Factory());
        await using var writer = ClientClusters.Client(cluster, site: "dc2");
        var prefix = "client-tests/watched/";
        var start = (await writer.PutAsync("client-tests/watch-start", 0)).Revision;

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var seen = new ConcurrentQueue<WatchEvent>();
        var collector = Task.Run(async () =>
        {
            await foreach (var change in watcher.WatchPrefixAsync(prefix, new WatchOptions { FromRevision = start + 1 }, cts.Token))
                seen.Enqueue(change);
        });

        const int writes = 60;
        var revisions = new List<long>();
        for (var i = 0; i < writes; i++)
        {
            if (i == 20)
            {
                // The watch must have been reading from the leader for the kill to test its resumption.
                await Eventually.TrueAsync(() => Task.FromResult(seen.Count >= 20), TimeSpan.FromSeconds(15), "the watch to see the first 20 writes");
                output.WriteLine($"killing leader {leader.Id}");
                leader.Kill();
            }

            revisions.Add((await writer.PutAsync($"{prefix}{i:D3}", i)).Revision);
        }

        await Eventually.TrueAsync(() => Task.FromResult(seen.Count >= writes), TimeSpan.FromSeconds(30), "the watch to see every write");
        await Task.Delay(TimeSpan.FromMilliseconds(500)); // a repeat would arrive right behind the last event
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => collector);

        var events = seen.ToList();
        Assert.Equal(Enumerable.Range(0, writes).Select(i => $"{prefix}{i:D3}"), events.Select(e => e.Kv.Key));
        Assert.Equal(Enumerable.Range(0, writes), events.Select(e => e.Kv.Value!.Value.GetInt32()));
        Assert.Equal(revisions, events.Select(e => e.Kv.ModRevision));
        Assert.All(events, e => Assert.Equal("put", e.Type));
        Assert.True(logging.Count(6101) >= 1, "the watch's stream broke with the leader and was resumed");
    }
}
