using System.Text.Json;

namespace GlobalZone.IntegrationTests.Api;

/// <summary>
/// Conditional writes, transactions and idempotent retries against a real three-member cluster, with clients spread
/// over every member (followers forward to the leader).
/// </summary>
public sealed class WriteTests(ThreeVoterCluster fixture, ITestOutputHelper output) : IClassFixture<ThreeVoterCluster>
{
    private TestCluster Cluster => fixture.Cluster;

    private HttpClient Client(int i) => Cluster.Client(Cluster.Members[i % Cluster.Members.Count]);

    [Fact]
    public async Task CompareAndSetRaceHasExactlyOneWinner()
    {
        var created = await ApiHttp.PutAsync(Client(0), "race/cas", "0");
        var etag = created.Header("ETag")!;
        const int writers = 24;
        var answers = await Task.WhenAll(Enumerable.Range(0, writers).Select(i =>
            ApiHttp.PutAsync(Client(i), "race/cas", $"{{\"writer\":{i}}}", ("If-Match", etag))));

        var winners = answers.Where(a => a.Code == 200).ToList();
        Assert.Single(winners);
        Assert.All(answers.Where(a => a.Code != 200), a =>
        {
            Assert.Equal(412, a.Code);
            Assert.Equal("application/problem+json", a.MediaType);
            // The loser learns the current ETag: the winner's revision.
            Assert.Equal(winners[0].Header("ETag"), a.Header("ETag"));
        });
        var winner = Array.IndexOf(answers, winners[0]);
        var stored = await ApiHttp.GetAsync(Client(1), "/v1/kv/race/cas");
        Assert.Equal(winner, stored.Body.GetProperty("value").GetProperty("writer").GetInt32());
        Assert.Equal(2, stored.Body.GetProperty("version").GetInt64());
        output.WriteLine($"writer {winner} won at revision {winners[0].Revision}; {writers - 1} got 412");
    }

    [Fact]
    public async Task CreateIfAbsentRaceHasExactlyOneWinnerAndConditionalDeleteNeedsTheETag()
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            ApiHttp.PutAsync(Client(i), "race/create", i.ToString(System.Globalization.CultureInfo.InvariantCulture), ("If-None-Match", "*"))));
        Assert.Single(answers, a => a.Code == 200);
        Assert.Equal(15, answers.Count(a => a.Code == 412));

        var etag = answers.Single(a => a.Code == 200).Header("ETag")!;
        var staleDelete = await ApiHttp.SendAsync(Client(1), "DELETE", "/v1/kv/race/create", headers: [("If-Match", "\"1\"")]);
        Assert.Equal(412, staleDelete.Code);
        var delete = await ApiHttp.SendAsync(Client(2), "DELETE", "/v1/kv/race/create", headers: [("If-Match", etag)]);
        Assert.Equal(200, delete.Code);
        Assert.Equal(1, delete.Body.GetProperty("deleted").GetInt64());
    }

    [Fact]
    public async Task TransactionWritesShareOneRevisionAndWatchersSeeThemTogether()
    {
        await ApiHttp.PutAsync(Client(0), "txn/c", "\"old\"");
        var before = await ApiHttp.GetAsync(Client(1), "/v1/kv/txn/c");
        var from = long.Parse(before.Header("X-GZ-Revision")!, System.Globalization.CultureInfo.InvariantCulture) + 1;
        var leader = await Cluster.WaitForLeaderAsync();
        using var watchClient = new HttpClient(Cluster.CreateClientHandler()) { BaseAddress = new Uri(Cluster.AnyFollowerOf(leader).Url), Timeout = Timeout.InfiniteTimeSpan };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (watch, status, error) = await SseReader.OpenAsync(watchClient, $"/v1/watch?prefix=txn/&fromRevision={from}", token: cts.Token);
        Assert.True(watch is not null, $"{status} {error}");
        await using var _ = watch;

        var txn = """
            {"compare":[{"key":"txn/a","target":"createRevision","op":"==","value":0},
                        {"key":"txn/c","target":"value","op":"==","value":"old"}],
             "success":[{"op":"put","key":"txn/a","value":{"n":1}},{"op":"put","key":"txn/b","value":[1, 2]},
                        {"op":"delete","key":"txn/c"},{"op":"get","key":"txn/a"}],
             "failure":[{"op":"get","key":"txn/a"}]}
            """;
        var answer = await ApiHttp.PostAsync(Client(2), "/v1/txn", txn);
        Assert.True(answer.Code == 200, answer.ToString());
        Assert.True(answer.Body.GetProperty("succeeded").GetBoolean());
        var revision = answer.Revision;
        var results = answer.Body.GetProperty("results");
        Assert.Equal(1, results[2].GetProperty("deleted").GetInt64());
        Assert.Equal(revision, results[3].GetProperty("kv").GetProperty("modRevision").GetInt64());

        foreach (var key in new[] { "txn/a", "txn/b" })
            Assert.Equal(revision, (await ApiHttp.GetAsync(Client(0), "/v1/kv/" + key)).Body.GetProperty("modRevision").GetInt64());
        Assert.Equal(404, (await ApiHttp.GetAsync(Client(1), "/v1/kv/txn/c")).Code);

        // The same transaction again: its compare fails, the failure branch runs, nothing changes.
        var again = await ApiHttp.PostAsync(Client(0), "/v1/txn", txn);
        Assert.False(again.Body.GetProperty("succeeded").GetBoolean());
        Assert.Equal(revision, again.Revision);

        var events = await NextRevisionAsync(watch!, cts.Token);
        Assert.Equal(revision, events.GetProperty("revision").GetInt64());
        var changes = events.GetProperty("events").EnumerateArray().Select(e => (e.GetProperty("type").GetString(), e.GetProperty("kv").GetProperty("key").GetString())).ToList();
        Assert.Equal([("put", "txn/a"), ("put", "txn/b"), ("delete", "txn/c")], changes);
        // The value compare matched although the request spaced its JSON differently from the stored text.
        Assert.Equal("[1,2]", events.GetProperty("events")[1].GetProperty("kv").GetProperty("value").GetRawText());
    }

    [Fact]
    public async Task IdempotentRetriesApplyOnceOnWhicheverMemberTheyLand()
    {
        var key = "idem/" + Guid.NewGuid().ToString("N")[..8];
        var first = await ApiHttp.PutAsync(Client(0), key, "{\"v\":1}", ("Idempotency-Key", key));
        Assert.Equal(200, first.Code);
        Assert.Null(first.Header("Idempotent-Replayed"));
        for (var i = 1; i <= 2; i++)
        {
            var retry = await ApiHttp.PutAsync(Client(i), key, "{\"v\":1}", ("Idempotency-Key", key));
            Assert.Equal(200, retry.Code);
            Assert.Equal("true", retry.Header("Idempotent-Replayed"));
            Assert.Equal(first.Revision, retry.Revision);
            Assert.Equal(first.Header("ETag"), retry.Header("ETag"));
        }

        var stored = await ApiHttp.GetAsync(Client(2), "/v1/kv/" + key);
        Assert.Equal(1, stored.Body.GetProperty("version").GetInt64());
        Assert.Equal(first.Revision, stored.Body.GetProperty("modRevision").GetInt64());

        var reused = await ApiHttp.PutAsync(Client(1), key, "{\"v\":2}", ("Idempotency-Key", key));
        Assert.Equal(422, reused.Code);
        Assert.EndsWith("/idempotency-key-reused", reused.Body.GetProperty("type").GetString());

        // Transactions and lease grants too: a retried grant returns the same lease, not a second one.
        var txn = $"{{\"success\":[{{\"op\":\"put\",\"key\":\"{key}/t\",\"value\":1}}]}}";
        var t1 = await ApiHttp.PostAsync(Client(0), "/v1/txn", txn, ("Idempotency-Key", key + "-txn"));
        var t2 = await ApiHttp.PostAsync(Client(2), "/v1/txn", txn, ("Idempotency-Key", key + "-txn"));
        Assert.Equal(t1.Revision, t2.Revision);
        Assert.Equal(1, (await ApiHttp.GetAsync(Client(1), $"/v1/kv/{key}/t")).Body.GetProperty("version").GetInt64());
        var g1 = await ApiHttp.PostAsync(Client(1), "/v1/leases", "{\"ttl\":60}", ("Idempotency-Key", key + "-lease"));
        var g2 = await ApiHttp.PostAsync(Client(2), "/v1/leases", "{\"ttl\":60}", ("Idempotency-Key", key + "-lease"));
        Assert.Equal(g1.Body.GetProperty("id").GetInt64(), g2.Body.GetProperty("id").GetInt64());
        Assert.Equal("true", g2.Header("Idempotent-Replayed"));
    }

    [Fact]
    public async Task LinearizableReadOnAFollowerSeesTheWriteAcknowledgedJustBefore()
    {
        var leader = await Cluster.WaitForLeaderAsync();
        var followers = Cluster.Members.Where(m => m.Id != leader.Id).ToList();
        for (var i = 0; i < 100; i++)
        {
            // Alternate: written through the leader or one follower, read at once through a follower.
            var writer = Cluster.Client(i % 2 == 0 ? leader : followers[0]);
            var reader = Cluster.Client(followers[i % 2 == 0 ? 0 : 1]);
            var written = await ApiHttp.PutAsync(writer, "lin/x", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(200, written.Code);
            var read = await ApiHttp.GetAsync(reader, "/v1/kv/lin/x");
            Assert.True(read.Code == 200 && read.Body.GetProperty("value").GetInt32() == i, $"iteration {i}: read {read}");
            Assert.True(long.Parse(read.Header("X-GZ-Revision")!, System.Globalization.CultureInfo.InvariantCulture) >= written.Revision);
        }
    }

    [Fact]
    public async Task TransactionsPutAndCompareJsonNullAndStillRequireAValue()
    {
        // JSON null is a value like any other (as with a plain PUT); a put without any value is still refused.
        var put = await ApiHttp.PostAsync(Client(0), "/v1/txn", """{"success":[{"op":"put","key":"txnnull/a","value":null}]}""");
        Assert.Equal(200, put.Code);
        var read = await ApiHttp.GetAsync(Client(1), "/v1/kv/txnnull/a");
        Assert.Equal(JsonValueKind.Null, read.Body.GetProperty("value").ValueKind);
        var compared = await ApiHttp.PostAsync(Client(2), "/v1/txn",
            """{"compare":[{"key":"txnnull/a","target":"value","op":"==","value":null}],"success":[{"op":"put","key":"txnnull/b","value":1}]}""");
        Assert.True(compared.Code == 200 && compared.Body.GetProperty("succeeded").GetBoolean(), compared.ToString());
        var missing = await ApiHttp.PostAsync(Client(0), "/v1/txn", """{"success":[{"op":"put","key":"txnnull/c"}]}""");
        Assert.Equal(400, missing.Code);
        var deleteWithNull = await ApiHttp.PostAsync(Client(0), "/v1/txn", """{"success":[{"op":"delete","key":"txnnull/a","value":null}]}""");
        Assert.Equal(400, deleteWithNull.Code);
    }

    [Fact]
    public async Task StaleReadOnTheFollowerAWriteWentThroughSeesThatWrite()
    {
        // A follower answers a forwarded write once the leader applied it, before applying it itself; its stale
        // reads then wait for what it acknowledged: a client always reads its own writes where it wrote them.
        var leader = await Cluster.WaitForLeaderAsync();
        var follower = Cluster.Client(Cluster.Members.First(m => m.Id != leader.Id));
        for (var i = 0; i < 200; i++)
        {
            var written = await ApiHttp.PutAsync(follower, "ryw/x", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(200, written.Code);
            var read = await ApiHttp.GetAsync(follower, "/v1/kv/ryw/x?consistency=stale");
            Assert.True(read.Code == 200 && read.Body.GetProperty("value").GetInt32() == i, $"iteration {i}: read {read}");
            Assert.True(read.Body.GetProperty("modRevision").GetInt64() == written.Revision, $"iteration {i}: {read} after revision {written.Revision}");
        }
    }

    private static async Task<JsonElement> NextRevisionAsync(SseReader watch, CancellationToken token)
    {
        while (await watch.NextAsync(token) is { } e)
        {
            if (e.Name == "revision")
                return e.Data;
        }

        throw new InvalidOperationException("The watch ended.");
    }
}
