namespace GlobalZone.IntegrationTests.Api;

/// <summary>
/// Reader-writer locks and semaphores on real processes, across a leader kill: holders keep their grants (their
/// leases outlive the election), queued waiters stay queued in order and are granted once a holder leaves, fencing
/// tokens keep growing, and a fenced write with a grant that ended is refused.
/// </summary>
public sealed class SharedLockFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestCluster? cluster;

    public async Task InitializeAsync() => cluster = await SettledCluster.StartAsync("shared-locks", "2+1+0", output);

    public async Task DisposeAsync()
    {
        if (cluster is not null)
            await cluster.DisposeAsync();
    }

    [Fact]
    public async Task AWaitingWriterIsGrantedAfterALeaderKillAndReadersBehindItWait()
    {
        var leader = await cluster!.WaitForLeaderAsync();
        var live = cluster.Members.Where(m => m.Id != leader.Id && !m.Spec.IsWitness).ToList();
        using var waiting = LongClient(live[0]);
        var (r1, w, r2) = (await GrantLeaseAsync(), await GrantLeaseAsync(), await GrantLeaseAsync());

        // Bad input and kind conflicts are problem+json before anything is queued.
        var noMode = await ApiHttp.PostAsync(Client(live[0]), "/v1/rwlocks/rw/L", $"{{\"lease\":{r1}}}");
        Assert.Equal(400, noMode.Code);
        Assert.Equal("application/problem+json", noMode.MediaType);

        var read1 = await SendThroughFailoverAsync(cluster.Members, "POST", "/v1/rwlocks/rw/L?mode=read", $"{{\"lease\":{r1}}}");
        Assert.True(read1.Code == 200, read1.ToString());
        Assert.Equal("read", read1.Body.GetProperty("mode").GetString());
        var readToken = read1.Body.GetProperty("fencingToken").GetInt64();
        var asLock = await SendThroughFailoverAsync(cluster.Members, "POST", "/v1/locks/rw/L", $"{{\"lease\":{w}}}");
        Assert.Equal(409, asLock.Code);
        Assert.EndsWith("/lock-kind-conflict", asLock.Body.GetProperty("type").GetString());

        // The writer queues behind the reader, the second reader behind the writer (first in, first out).
        var writer = WaitForGrantAsync(waiting, "/v1/rwlocks/rw/L?mode=write", w);
        await WaitForWaitersAsync(Client(live[1]), "rw/L", 1);
        var reader2 = WaitForGrantAsync(waiting, "/v1/rwlocks/rw/L?mode=read", r2);
        await WaitForWaitersAsync(Client(live[1]), "rw/L", 2);

        leader.Kill();
        await cluster.WaitForLeaderAsync(among: live);
        // The reader kept its grant across the election; the queue kept its order.
        var after = await ApiHttp.GetThroughFailoverAsync(Client(live[1]), "/v1/locks/rw/L");
        Assert.Equal(readToken, after.Body.GetProperty("holders")[0].GetProperty("fencingToken").GetInt64());
        Assert.Equal([w, r2], after.Body.GetProperty("waiters").EnumerateArray().Select(x => x.GetProperty("lease").GetInt64()));
        Assert.False(writer.IsCompleted);

        Assert.Equal(200, (await SendThroughFailoverAsync(live, "DELETE", $"/v1/rwlocks/rw/L?lease={r1}")).Code);
        var writeGrant = await writer;
        Assert.True(writeGrant.Code == 200, writeGrant.ToString());
        Assert.Equal("write", writeGrant.Body.GetProperty("mode").GetString());
        var writeToken = writeGrant.Body.GetProperty("fencingToken").GetInt64();
        Assert.True(writeToken > readToken);
        Assert.False(reader2.IsCompleted);

        // The released reader's fence is stale; the writer's is current.
        var stale = await SendThroughFailoverAsync(live, "PUT", "/v1/kv/rw/data", "\"stale\"", ("If-Fencing-Token", read1.Body.GetProperty("fence").GetString()!));
        Assert.Equal(409, stale.Code);
        Assert.EndsWith("/fencing-token-rejected", stale.Body.GetProperty("type").GetString());
        Assert.Equal(200, (await SendThroughFailoverAsync(live, "PUT", "/v1/kv/rw/data", "\"w\"", ("If-Fencing-Token", writeGrant.Body.GetProperty("fence").GetString()!))).Code);

        Assert.Equal(200, (await SendThroughFailoverAsync(live, "DELETE", $"/v1/rwlocks/rw/L?token={writeToken}")).Code);
        var readGrant = await reader2;
        Assert.True(readGrant.Code == 200, readGrant.ToString());
        Assert.True(readGrant.Body.GetProperty("fencingToken").GetInt64() > writeToken);
    }

    [Fact]
    public async Task ASemaphoreKeepsItsHoldersAcrossALeaderKillAndPassesAnEndedPermitOn()
    {
        var leader = await cluster!.WaitForLeaderAsync();
        var live = cluster.Members.Where(m => m.Id != leader.Id && !m.Spec.IsWitness).ToList();
        using var waiting = LongClient(live[0]);
        var (a, b, c) = (await GrantLeaseAsync(), await GrantLeaseAsync(), await GrantLeaseAsync());
        Assert.Equal(400, (await ApiHttp.PostAsync(Client(live[0]), "/v1/semaphores/sem/S?limit=0", $"{{\"lease\":{a}}}")).Code);

        var grantA = await SendThroughFailoverAsync(cluster.Members, "POST", "/v1/semaphores/sem/S?limit=2", $"{{\"lease\":{a}}}");
        var grantB = await SendThroughFailoverAsync(cluster.Members, "POST", "/v1/semaphores/sem/S?limit=2", $"{{\"lease\":{b}}}");
        Assert.True(grantA.Code == 200 && grantB.Code == 200, $"{grantA} {grantB}");
        var (tokenA, tokenB) = (grantA.Body.GetProperty("fencingToken").GetInt64(), grantB.Body.GetProperty("fencingToken").GetInt64());
        Assert.True(tokenB > tokenA);
        var otherLimit = await SendThroughFailoverAsync(cluster.Members, "POST", "/v1/semaphores/sem/S?limit=3", $"{{\"lease\":{c}}}");
        Assert.Equal(409, otherLimit.Code);
        Assert.EndsWith("/lock-kind-conflict", otherLimit.Body.GetProperty("type").GetString());
        var third = WaitForGrantAsync(waiting, "/v1/semaphores/sem/S?limit=2", c);
        await WaitForWaitersAsync(Client(live[1]), "sem/S", 1);

        leader.Kill();
        await cluster.WaitForLeaderAsync(among: live);
        var after = await ApiHttp.GetThroughFailoverAsync(Client(live[1]), "/v1/locks/sem/S");
        Assert.Equal("semaphore", after.Body.GetProperty("kind").GetString());
        Assert.Equal([tokenA, tokenB], after.Body.GetProperty("holders").EnumerateArray().Select(h => h.GetProperty("fencingToken").GetInt64()));

        // A's lease ends (revoked here; an expiry does the same): its permit goes to C, B keeps its own.
        Assert.Equal(200, (await SendThroughFailoverAsync(live, "DELETE", $"/v1/leases/{a}")).Code);
        var grantC = await third;
        Assert.True(grantC.Code == 200, grantC.ToString());
        Assert.True(grantC.Body.GetProperty("fencingToken").GetInt64() > tokenB);
        var now = await ApiHttp.GetThroughFailoverAsync(Client(live[1]), "/v1/locks/sem/S");
        Assert.Equal([b, c], now.Body.GetProperty("holders").EnumerateArray().Select(h => h.GetProperty("lease").GetInt64()));

        var stale = await SendThroughFailoverAsync(live, "PUT", "/v1/kv/sem/data", "1", ("If-Fencing-Token", grantA.Body.GetProperty("fence").GetString()!));
        Assert.Equal(409, stale.Code);
        Assert.Equal(200, (await SendThroughFailoverAsync(live, "PUT", "/v1/kv/sem/data", "2", ("If-Fencing-Token", grantB.Body.GetProperty("fence").GetString()!))).Code);
    }

    private HttpClient Client(GlobalZone.ClusterRunner.MemberProcess member) => cluster!.Client(member);

    private async Task<long> GrantLeaseAsync()
    {
        var answer = await SendThroughFailoverAsync(cluster!.Members, "POST", "/v1/leases", "{\"ttl\":60}");
        Assert.True(answer.Code == 201, answer.ToString());
        return answer.Body.GetProperty("id").GetInt64();
    }

    /// <summary>
    /// A queued acquire as a client makes it: asked again for the same lease when the answer is lost (a 504 when the
    /// leader dies between applying the request and answering it; asking again neither queues twice nor loses the place).
    /// </summary>
    private static async Task<ApiAnswer> WaitForGrantAsync(HttpClient client, string path, long lease)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                var answer = await ApiHttp.PostAsync(client, path, $"{{\"lease\":{lease},\"wait\":45}}");
                if (answer.Code is not (503 or 504) || DateTime.UtcNow > deadline)
                    return answer;
            }
            catch (Exception e) when ((e is HttpRequestException or TaskCanceledException) && DateTime.UtcNow < deadline)
            {
            }

            await Task.Delay(200);
        }
    }

    /// <summary>A client whose timeout outlasts a queued acquire's wait (the suite's clients give up after 15 s).</summary>
    private HttpClient LongClient(GlobalZone.ClusterRunner.MemberProcess member)
        => new(cluster!.CreateClientHandler()) { BaseAddress = new Uri(member.Url), Timeout = TimeSpan.FromSeconds(90) };

    private static Task WaitForWaitersAsync(HttpClient client, string name, int count)
        => Eventually.GetAsync(async () =>
        {
            var info = await ApiHttp.GetAsync(client, "/v1/locks/" + name);
            return info.Code == 200 && info.Body.GetProperty("waiters").GetArrayLength() == count ? (object)info : null;
        }, TimeSpan.FromSeconds(15), $"{count} waiters on {name}");

    /// <summary>A write retried on the live members through the election (503/504, dead connections), with one Idempotency-Key.</summary>
    private async Task<ApiAnswer> SendThroughFailoverAsync(IReadOnlyList<GlobalZone.ClusterRunner.MemberProcess> members, string method, string path, string? body = null,
        params (string, string)[] headers)
    {
        var key = Guid.NewGuid().ToString("N");
        var live = members.Where(m => m.IsRunning && !m.Spec.IsWitness).ToList();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        for (var i = 0; ; i++)
        {
            try
            {
                var answer = await ApiHttp.SendAsync(Client(live[i % live.Count]), method, path, body, [.. headers, ("Idempotency-Key", key)]);
                if (answer.Code is not (503 or 504 or 421) || DateTime.UtcNow > deadline)
                    return answer;
            }
            catch (Exception e) when ((e is HttpRequestException or TaskCanceledException) && DateTime.UtcNow < deadline)
            {
            }

            await Task.Delay(200);
        }
    }
}
