using GlobalZone.IntegrationTests.Api;

namespace GlobalZone.IntegrationTests.Limits;

/// <summary>
/// What a client is told when a cap is reached (issue 11): problem+json with a stable type and Retry-After, 503 for
/// a member's capacity, 429 for a cluster-wide quota, and room again once something is released. The caps are set
/// small here because the refusal itself is under test; <see cref="IdleWatchLoadTests"/> runs at the defaults.
/// </summary>
public sealed class CapRefusalTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestCluster? cluster;

    public async Task InitializeAsync() => cluster = await SettledCluster.StartAsync("caps", "1+0", output, settings => settings with
    {
        Extra = new Dictionary<string, string>
        {
            ["Limits:MaxWatchesPerMember"] = "3",
            ["Limits:MaxBlockingReadsPerMember"] = "2",
            ["Limits:MaxLeases"] = "3",
            ["Limits:MaxLockWaitersPerLock"] = "1",
            ["Limits:MaxLockWaiters"] = "2",
            ["Limits:MaxIdempotencyRecords"] = "2",
            ["Limits:RetryAfterSeconds"] = "7",
        },
    });

    public async Task DisposeAsync()
    {
        if (cluster is not null)
            await cluster.DisposeAsync();
    }

    private static void AssertRefused(ApiAnswer answer, int status, string type)
    {
        Assert.True(answer.Code == status, answer.ToString());
        Assert.Equal("application/problem+json", answer.MediaType);
        Assert.EndsWith("/" + type, answer.Body.GetProperty("type").GetString());
        Assert.Equal(status, answer.Body.GetProperty("status").GetInt32());
        Assert.NotNull(answer.Header("Retry-After"));
    }

    [Fact]
    public async Task WatchesBeyondTheCapAre503AndRoomComesBackWhenOneCloses()
    {
        var client = cluster!.Client(cluster.Members[0]);
        var open = new List<SseReader>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var (reader, status, error) = await SseReader.OpenAsync(client, $"/v1/watch?prefix=w{i}/");
                Assert.True(reader is not null, $"watch {i}: {status} {error}");
                open.Add(reader);
            }

            var refused = await ApiHttp.GetAsync(client, "/v1/watch?prefix=w3/");
            AssertRefused(refused, 503, "too-many-watches");
            Assert.Equal("7", refused.Header("Retry-After"));

            await open[0].DisposeAsync();
            open.RemoveAt(0);
            var again = await Eventually.GetAsync(async () =>
            {
                var (reader, _, _) = await SseReader.OpenAsync(client, "/v1/watch?prefix=w3/");
                return reader;
            }, TimeSpan.FromSeconds(10), "a place for a watch once one closed");
            open.Add(again);
        }
        finally
        {
            foreach (var reader in open)
                await reader.DisposeAsync();
        }
    }

    [Fact]
    public async Task BlockingReadsBeyondTheCapAre503WhileTheOthersStillWait()
    {
        var client = cluster!.Client(cluster.Members[0]);
        var put = await ApiHttp.PutAsync(client, "b/x", "1");
        var next = put.Revision + 1;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var waiting = Enumerable.Range(0, 2)
            .Select(_ => ApiHttp.SendAsync(client, "GET", $"/v1/kv/b/x?waitRevision={next}&wait=30s", token: stop.Token))
            .ToList();
        // The third finds both places taken, once both waiters are parked (the member's gauge says so; probing with
        // blocking reads before then could take a place from one of the two).
        await Eventually.TrueAsync(async () => (await client.GetStringAsync("/metrics")).Split('\n')
                .Any(line => line.StartsWith("globalzone_blocking_reads_waiting", StringComparison.Ordinal) && line.TrimEnd().EndsWith(" 2", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10), "both blocking reads parked");
        var refused = await ApiHttp.GetAsync(client, $"/v1/kv/b/x?waitRevision={next}&wait=200ms");
        AssertRefused(refused, 503, "too-many-blocking-reads");
        Assert.All(waiting, task => Assert.False(task.IsCompleted));

        await ApiHttp.PutAsync(client, "b/x", "2");
        foreach (var answer in await Task.WhenAll(waiting))
        {
            Assert.Equal(200, answer.Code);
            Assert.Equal(2, answer.Body.GetProperty("value").GetInt32());
        }
    }

    [Fact]
    public async Task LeasesAndLockWaitersBeyondTheirCapsAre429()
    {
        var client = cluster!.Client(cluster.Members[0]);
        var leases = new List<long>();
        for (var i = 0; i < 3; i++)
            leases.Add(await ApiHttp.GrantLeaseAsync(client, 60));
        AssertRefused(await ApiHttp.PostAsync(client, "/v1/leases", """{"ttl":60}"""), 429, "too-many-leases");

        var (a, b, c) = (leases[0], leases[1], leases[2]);
        foreach (var name in new[] { "L", "M", "N" })
            Assert.Equal(200, (await ApiHttp.PostAsync(client, "/v1/locks/" + name, $$"""{"lease":{{a}}}""")).Code);

        using var stop = new CancellationTokenSource();
        var waiterOnL = ApiHttp.SendAsync(client, "POST", "/v1/locks/L", $$"""{"lease":{{b}},"wait":30}""", token: stop.Token);
        await Eventually.TrueAsync(async () => (await ApiHttp.GetAsync(client, "/v1/locks/L")).Body.GetProperty("waiters").GetArrayLength() == 1,
            TimeSpan.FromSeconds(10), "lease b queued on L");
        // One waiter per lock.
        AssertRefused(await ApiHttp.PostAsync(client, "/v1/locks/L", $$"""{"lease":{{c}},"wait":30}"""), 429, "too-many-lock-waiters");

        var waiterOnM = ApiHttp.SendAsync(client, "POST", "/v1/locks/M", $$"""{"lease":{{b}},"wait":30}""", token: stop.Token);
        await Eventually.TrueAsync(async () => (await ApiHttp.GetAsync(client, "/v1/locks/M")).Body.GetProperty("waiters").GetArrayLength() == 1,
            TimeSpan.FromSeconds(10), "lease b queued on M");
        // Two waiters in all.
        var total = await ApiHttp.PostAsync(client, "/v1/locks/N", $$"""{"lease":{{c}},"wait":30}""");
        AssertRefused(total, 429, "too-many-lock-waiters");
        Assert.Contains("MaxLockWaiters", total.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        // Trying without waiting needs no place in a queue: the usual "held" answer.
        Assert.Equal(409, (await ApiHttp.PostAsync(client, "/v1/locks/N", $$"""{"lease":{{c}}}""")).Code);

        // Revoking the holder hands both locks to b: the queues empty and the waiters' requests answer 200.
        Assert.Equal(200, (await ApiHttp.SendAsync(client, "DELETE", $"/v1/leases/{a}")).Code);
        Assert.Equal(200, (await waiterOnL).Code);
        Assert.Equal(200, (await waiterOnM).Code);
        // Room for a lease again.
        Assert.Equal(201, (await ApiHttp.PostAsync(client, "/v1/leases", """{"ttl":60}""")).Code);
    }

    [Fact]
    public async Task ConcurrentLeaseGrantsNeverExceedTheCap()
    {
        // All twelve pass the member's quick check at once (no lease exists yet); apply, in log order, admits three.
        var client = cluster!.Client(cluster.Members[0]);
        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => ApiHttp.PostAsync(client, "/v1/leases", """{"ttl":60}""")));
        Assert.Equal(3, answers.Count(a => a.Code == 201));
        Assert.All(answers.Where(a => a.Code != 201), a => AssertRefused(a, 429, "too-many-leases"));
        Assert.All(answers.Where(a => a.Code == 429), a => Assert.Equal("7", a.Header("Retry-After")));
        Assert.Equal(3, (await ApiHttp.GetAsync(client, "/v1/leases")).Body.GetProperty("leases").GetArrayLength());
    }

    [Fact]
    public async Task IdempotentWritesBeyondTheRecordCapAre503ButRetriesOfRememberedOnesAreAnswered()
    {
        var client = cluster!.Client(cluster.Members[0]);
        Assert.Equal(200, (await ApiHttp.PutAsync(client, "i/1", "1", ("Idempotency-Key", "cap-1"))).Code);
        Assert.Equal(200, (await ApiHttp.PutAsync(client, "i/2", "2", ("Idempotency-Key", "cap-2"))).Code);

        var refused = await ApiHttp.PutAsync(client, "i/3", "3", ("Idempotency-Key", "cap-3"));
        AssertRefused(refused, 503, "too-many-idempotency-records");
        Assert.Equal(404, (await ApiHttp.GetAsync(client, "/v1/kv/i/3")).Code);

        var retry = await ApiHttp.PutAsync(client, "i/1", "1", ("Idempotency-Key", "cap-1"));
        Assert.Equal(200, retry.Code);
        Assert.Equal("true", retry.Header("Idempotent-Replayed"));
        // Writes without a key add no record and are not limited by it.
        Assert.Equal(200, (await ApiHttp.PutAsync(client, "i/3", "3")).Code);
    }
}
