using System.Text;
using System.Text.Json;

namespace GlobalZone.IntegrationTests.Api;

/// <summary>A single-member cluster with small limits, a short history and frequent checkpoints, shared by the bad-input table.</summary>
public sealed class SmallLimitsCluster : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
        => Cluster = await SettledCluster.StartAsync("api-bad-input", "1+0+0", configure: s => s with
        {
            SnapshotEveryEntries = 10,
            Extra = new Dictionary<string, string> { ["HistoryRetention"] = "20" },
        });

    public Task DisposeAsync() => Cluster.DisposeAsync().AsTask();
}

/// <summary>
/// Every endpoint of the client API, fed bad input: always a 4xx with an RFC 9457 problem body (stable type, clear
/// detail), never a 500, and the member keeps serving. Plus the OpenAPI document and compacted revisions.
/// </summary>
public sealed class ApiBadInputTests(SmallLimitsCluster fixture, ITestOutputHelper output) : IClassFixture<SmallLimitsCluster>
{
    private HttpClient Client => fixture.Cluster.Client(fixture.Cluster.Members[0]);

    private static readonly string TooManyOps = "{\"success\":[" + string.Join(",", Enumerable.Repeat("{\"op\":\"get\",\"key\":\"a\"}", 129)) + "]}";
    private static readonly string LongKey = new('k', 1025);
    // Over the default value limit (the server runs at its defaults here).
    private static readonly string BigValue = "\"" + new string('x', GlobalZone.Contracts.Limits.DefaultMaxValueBytes + 1_000) + "\"";

    public static TheoryData<string, string, string?, string, int, string> Cases() => new()
    {
        // method, path, body, extra header ("Name: value" or ""), expected status, expected problem type suffix
        { "POST", "/v1/txn", "{\"success\":[", "", 400, "invalid-json" },
        { "POST", "/v1/txn", "{\"succes\":[]}", "", 400, "invalid-json" },
        { "POST", "/v1/txn", "{\"success\":{}}", "", 400, "invalid-json" },
        { "POST", "/v1/txn", "{}", "", 400, "bad-request" },
        { "POST", "/v1/txn", "", "", 400, "invalid-json" },
        { "POST", "/v1/txn", "null", "", 400, "invalid-json" },
        { "POST", "/v1/txn", "{\"success\":[{\"op\":\"upsert\",\"key\":\"a\",\"value\":1}]}", "", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"success\":[{\"op\":\"put\",\"key\":\"a\"}]}", "", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"success\":[{\"op\":\"put\",\"key\":\"a\",\"value\":1,\"base64\":\"AA==\"}]}", "", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"success\":[{\"op\":\"put\",\"key\":\"a\",\"base64\":\"***\"}]}", "", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"success\":[{\"op\":\"put\",\"key\":\"" + LongKey + "\",\"value\":1}]}", "", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"success\":[{\"op\":\"put\",\"key\":\"a/../b\",\"value\":1}]}", "", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"success\":[{\"op\":\"put\",\"key\":\"a\",\"value\":1,\"lease\":-1}]}", "", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"success\":[{\"op\":\"put\",\"key\":\"a\",\"value\":1,\"lease\":424242}]}", "", 404, "lease-not-found" },
        { "POST", "/v1/txn", "{\"success\":[{\"op\":\"delete\",\"key\":\"a\",\"prefix\":\"b\"}]}", "", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"success\":[{\"op\":\"get\",\"prefix\":\"a\"}]}", "", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"compare\":[{\"key\":\"a\",\"target\":\"colour\",\"op\":\"==\",\"value\":1}]}", "", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"compare\":[{\"key\":\"a\",\"target\":\"version\",\"op\":\"~\",\"value\":1}]}", "", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"compare\":[{\"key\":\"a\",\"target\":\"version\",\"op\":\"==\",\"value\":\"1\"}]}", "", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"compare\":[{\"key\":\"a\",\"target\":\"version\",\"op\":\"==\",\"value\":1.5}]}", "", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"compare\":[{\"key\":\"a\",\"target\":\"version\",\"op\":\"==\"}]}", "", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"compare\":[{\"target\":\"version\",\"op\":\"==\",\"value\":1}]}", "", 400, "invalid-json" },
        { "POST", "/v1/txn", TooManyOps, "", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"success\":[{\"op\":\"put\",\"key\":\"a\",\"value\":" + BigValue + "}]}", "", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"success\":[{\"op\":\"put\",\"key\":\"a\",\"value\":\"" + new string('x', GlobalZone.Contracts.Limits.DefaultMaxValueBytes + 70_000) + "\"}]}", "", 413, "value-too-large" },
        { "POST", "/v1/txn", "<txn/>", "Content-Type: application/xml", 415, "unsupported-media-type" },
        { "POST", "/v1/txn", "{\"success\":[{\"op\":\"get\",\"key\":\"a\"}]}", "If-Fencing-Token: nonsense", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"success\":[{\"op\":\"get\",\"key\":\"a\"}]}", "If-Fencing-Token: L:0", 400, "bad-request" },
        { "POST", "/v1/txn", "{\"success\":[{\"op\":\"get\",\"key\":\"a\"}]}", "If-Fencing-Token: L:7", 409, "fencing-token-rejected" },
        { "POST", "/v1/txn", "{\"success\":[{\"op\":\"get\",\"key\":\"a\"}]}", "Idempotency-Key: " + new string('i', 129), 400, "bad-request" },
        { "GET", "/v1/txn", null, "", 405, "method-not-allowed" },
        { "POST", "/v1/leases", "{\"ttl\":0}", "", 400, "bad-request" },
        { "POST", "/v1/leases", "{\"ttl\":-5}", "", 400, "bad-request" },
        { "POST", "/v1/leases", "{\"ttl\":1e9}", "", 400, "bad-request" },
        { "POST", "/v1/leases", "{\"ttl\":\"10\"}", "", 400, "invalid-json" },
        { "POST", "/v1/leases", "{\"ttl\":\"10s\"}", "", 400, "invalid-json" },
        { "POST", "/v1/leases", "{}", "", 400, "invalid-json" },
        { "POST", "/v1/leases", "{\"ttl\":10,\"extra\":1}", "", 400, "invalid-json" },
        { "POST", "/v1/leases", "{\"ttl\":10,\"id\":-3}", "", 400, "bad-request" },
        { "POST", "/v1/leases", "[10]", "", 400, "invalid-json" },
        { "GET", "/v1/leases/abc", null, "", 400, "bad-request" },
        { "GET", "/v1/leases/0", null, "", 400, "bad-request" },
        { "GET", "/v1/leases/99999999999999999999", null, "", 400, "bad-request" },
        { "GET", "/v1/leases/987654", null, "", 404, "lease-not-found" },
        { "POST", "/v1/leases/987654/keepalive", null, "", 404, "lease-not-found" },
        { "POST", "/v1/leases/-1/keepalive", null, "", 400, "bad-request" },
        { "DELETE", "/v1/leases/987654", null, "", 404, "lease-not-found" },
        { "PUT", "/v1/leases/1", "{}", "", 405, "method-not-allowed" },
        { "POST", "/v1/locks/a", "{\"lease\":0}", "", 400, "bad-request" },
        { "POST", "/v1/locks/a", "{}", "", 400, "invalid-json" },
        { "POST", "/v1/locks/a", "{\"lease\":\"1\"}", "", 400, "invalid-json" },
        { "POST", "/v1/locks/a", "{\"lease\":1,\"wait\":-1}", "", 400, "bad-request" },
        { "POST", "/v1/locks/a", "{\"lease\":1,\"wait\":100000}", "", 400, "bad-request" },
        { "POST", "/v1/locks/a", "{\"lease\":1,\"owner\":\"" + new string('o', 300) + "\"}", "", 400, "bad-request" },
        { "POST", "/v1/locks/a", "{\"lease\":1,\"ttl\":5}", "", 400, "invalid-json" },
        { "POST", "/v1/locks/a", "{\"lease\":987654}", "", 404, "lease-not-found" },
        { "POST", "/v1/locks/" + LongKey, "{\"lease\":1}", "", 400, "invalid-key" },
        { "POST", "/v1/locks/bad%01name", "{\"lease\":1}", "", 400, "invalid-key" },
        { "DELETE", "/v1/locks/a", null, "", 400, "bad-request" },
        { "DELETE", "/v1/locks/a?token=abc", null, "", 400, "bad-request" },
        { "DELETE", "/v1/locks/a?lease=-2", null, "", 400, "bad-request" },
        { "DELETE", "/v1/locks/a?lease=5", null, "", 404, "lock-not-found" },
        { "DELETE", "/v1/locks/a", null, "If-Fencing-Token: b:5", 400, "bad-request" },
        { "GET", "/v1/locks?prefix=%01", null, "", 400, "invalid-key" },
        { "GET", "/v1/locks/a?consistency=eventually", null, "", 400, "bad-request" },
        { "GET", "/v1/watch", null, "", 400, "bad-request" },
        { "GET", "/v1/watch?key=a&prefix=b", null, "", 400, "bad-request" },
        { "GET", "/v1/watch?key=a&fromRevision=0", null, "", 400, "bad-request" },
        { "GET", "/v1/watch?key=a&fromRevision=soon", null, "", 400, "bad-request" },
        { "GET", "/v1/watch?key=" + LongKey, null, "", 400, "invalid-key" },
        { "GET", "/v1/watch?key=a", null, "Last-Event-ID: yesterday", 400, "bad-request" },
        { "GET", "/v1/kv/a?waitRevision=0", null, "", 400, "bad-request" },
        { "GET", "/v1/kv/a?waitRevision=x", null, "", 400, "bad-request" },
        { "GET", "/v1/kv/a?wait=5s", null, "", 400, "bad-request" },
        { "GET", "/v1/kv/a?waitRevision=1&wait=forever", null, "", 400, "bad-request" },
        { "GET", "/v1/kv/a?waitRevision=1&wait=11m", null, "", 400, "bad-request" },
        { "GET", "/v1/kv/a?maxStaleness=5s", null, "", 400, "bad-request" },
        { "GET", "/v1/kv/a?consistency=stale&maxStaleness=abc", null, "", 400, "bad-request" },
        { "GET", "/v1/kv/a?consistency=stale&maxStaleness=0s", null, "", 400, "bad-request" },
        { "PUT", "/v1/kv/a", "1", "If-Fencing-Token: :3", 400, "bad-request" },
        { "PUT", "/v1/kv/a", "1", "If-Fencing-Token: L:x", 400, "bad-request" },
        { "PUT", "/v1/kv/a?lease=987654", "1", "", 404, "lease-not-found" },
        { "PUT", "/v1/kv/a", "1", "If-Match: not-an-etag", 400, "bad-request" },
        { "PUT", "/v1/kv/a", BigValue, "", 413, "value-too-large" },
        { "DELETE", "/v1/kv/a", null, "If-Fencing-Token: L:9", 409, "fencing-token-rejected" },
        { "GET", "/v1/nothing-here", null, "", 404, "not-found" },
        { "PATCH", "/v1/kv/a", "1", "", 405, "method-not-allowed" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task RefusedWithAProblemBody(string method, string path, string? body, string header, int expected, string type)
    {
        using var request = RequestFor(method, path, body, header);

        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var shown = $"{method} {path[..Math.Min(path.Length, 70)]}";
        Assert.True((int)response.StatusCode == expected, $"{shown}: expected {expected}, got {(int)response.StatusCode}: {text[..Math.Min(text.Length, 400)]}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(expected, problem.GetProperty("status").GetInt32());
        Assert.Equal("https://globalzone.dev/problems/" + type, problem.GetProperty("type").GetString());
        var detail = problem.GetProperty("detail").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail));
        Assert.DoesNotContain("GlobalZone.", detail, StringComparison.Ordinal);
        output.WriteLine($"{shown} -> {expected}: {detail}");

        Assert.Equal(200, (await ApiHttp.PutAsync(Client, "still/alive", "true")).Code);
    }

    [Fact]
    public async Task OpenApiDocumentDescribesEveryRoute()
    {
        var answer = await ApiHttp.GetAsync(Client, "/v1/openapi.json");
        Assert.Equal(200, answer.Code);
        Assert.StartsWith("3.1", answer.Body.GetProperty("openapi").GetString());
        var paths = answer.Body.GetProperty("paths");
        (string Path, string Method)[] routes =
        [
            ("/v1/kv/{key}", "get"), ("/v1/kv/{key}", "put"), ("/v1/kv/{key}", "delete"), ("/v1/txn", "post"), ("/v1/watch", "get"),
            ("/v1/leases", "post"), ("/v1/leases", "get"), ("/v1/leases/{id}", "get"), ("/v1/leases/{id}", "delete"),
            ("/v1/leases/{id}/keepalive", "post"), ("/v1/locks", "get"), ("/v1/locks/{name}", "post"), ("/v1/locks/{name}", "delete"),
            ("/v1/locks/{name}", "get"), ("/v1/rwlocks/{name}", "post"), ("/v1/rwlocks/{name}", "delete"), ("/v1/rwlocks/{name}", "get"),
            ("/v1/semaphores/{name}", "post"), ("/v1/semaphores/{name}", "delete"), ("/v1/semaphores/{name}", "get"), ("/v1/cluster", "get"), ("/v1/openapi.json", "get"),
            ("/v1/members", "get"), ("/v1/members", "post"), ("/v1/members/{id}", "delete"),
            ("/v1/auth/token", "post"), ("/v1/auth/status", "get"), ("/v1/auth/enable", "post"), ("/v1/auth/users", "post"),
            ("/v1/auth/users/{name}/roles/{role}", "put"), ("/v1/auth/roles/{name}/permissions", "post"),
        ];
        foreach (var (path, method) in routes)
        {
            Assert.True(paths.TryGetProperty(path, out var item) && item.TryGetProperty(method, out _), $"{method.ToUpperInvariant()} {path} is not in the document");
        }

        // Every $ref resolves.
        var schemas = answer.Body.GetProperty("components").GetProperty("schemas");
        foreach (var reference in System.Text.RegularExpressions.Regex.Matches(answer.Text, "#/components/schemas/(\\w+)").Select(m => m.Groups[1].Value).Distinct())
            Assert.True(schemas.TryGetProperty(reference, out _), $"dangling $ref {reference}");
    }

    [Fact]
    public async Task CompactedRevisionsGet410WithTheOldestAvailableAndWatchesResumeFromHistory()
    {
        // One key written often: history retention is 20 revisions, checkpoints every 10 entries.
        long last = 0;
        for (var i = 0; i < 80; i++)
            last = (await ApiHttp.PutAsync(Client, "compact/k", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).Revision;

        var gone = await Eventually.GetAsync(async () =>
        {
            var answer = await ApiHttp.GetAsync(Client, "/v1/watch?key=compact/k&fromRevision=1");
            return answer.Code == 410 ? answer : null;
        }, TimeSpan.FromSeconds(5), "revision 1 to be compacted");
        var oldest = gone.Body.GetProperty("oldestRevision").GetInt64();
        Assert.True(oldest > 1 && oldest <= last, $"oldest {oldest}, last {last}");
        Assert.Equal(oldest.ToString(System.Globalization.CultureInfo.InvariantCulture), gone.Header("X-GZ-Oldest-Revision"));
        Assert.EndsWith("/revision-compacted", gone.Body.GetProperty("type").GetString());
        Assert.Equal(410, (await ApiHttp.GetAsync(Client, "/v1/kv/compact/k?waitRevision=1&wait=1s")).Code);

        // From the oldest available revision the watch replays every revision since, in order.
        using var streaming = new HttpClient(fixture.Cluster.CreateClientHandler()) { BaseAddress = Client.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var (watch, status, error) = await SseReader.OpenAsync(streaming, $"/v1/watch?prefix=compact/&fromRevision={oldest}", token: cts.Token);
        Assert.True(watch is not null, $"{status} {error}");
        await using var _ = watch;
        var revisions = new List<long>();
        while (revisions.Count == 0 || revisions[^1] < last)
        {
            var e = await watch!.NextAsync(cts.Token) ?? throw new InvalidOperationException("watch ended");
            if (e.Name == "revision")
                revisions.Add(e.Data.GetProperty("revision").GetInt64());
        }

        Assert.Equal(Enumerable.Range(0, (int)(last - oldest + 1)).Select(i => oldest + i), revisions);

        // After a restart nothing is in memory: the same watch is served from the FasterLog history.
        var member = fixture.Cluster.Members[0];
        await member.StopAsync(TimeSpan.FromSeconds(10));
        member.Start();
        await fixture.Cluster.WaitForLeaderAsync();
        var oldestAfterRestart = (await Eventually.GetAsync(async () =>
        {
            var answer = await ApiHttp.GetAsync(Client, "/v1/watch?key=compact/k&fromRevision=1");
            return answer.Code == 410 ? answer : null;
        }, TimeSpan.FromSeconds(10), "the restarted member to answer")).Body.GetProperty("oldestRevision").GetInt64();
        var (replay, status2, error2) = await SseReader.OpenAsync(streaming, $"/v1/watch?prefix=compact/&fromRevision={oldestAfterRestart}", token: cts.Token);
        Assert.True(replay is not null, $"{status2} {error2}");
        await using var __ = replay;
        var replayed = new List<long>();
        while (replayed.Count == 0 || replayed[^1] < last)
        {
            var e = await replay!.NextAsync(cts.Token) ?? throw new InvalidOperationException("watch ended");
            if (e.Name == "revision")
                replayed.Add(e.Data.GetProperty("revision").GetInt64());
        }

        Assert.Equal(Enumerable.Range(0, (int)(last - oldestAfterRestart + 1)).Select(i => oldestAfterRestart + i), replayed);

        // A blocking read that is already satisfied answers at once; one for the future waits for the write.
        var immediate = await ApiHttp.GetAsync(Client, $"/v1/kv/compact/k?waitRevision={last}&wait=30s");
        Assert.Equal(200, immediate.Code);
        var pending = ApiHttp.GetAsync(Client, $"/v1/kv/compact/k?waitRevision={last + 1}&wait=30s");
        Assert.False(pending.IsCompleted);
        var next = await ApiHttp.PutAsync(Client, "compact/k", "\"after\"");
        var woke = await pending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("after", woke.Body.GetProperty("value").GetString());
        Assert.Equal(next.Revision, woke.Body.GetProperty("modRevision").GetInt64());
    }

    /// <summary>The request one row of <see cref="Cases"/> describes (a JSON body, and one extra "Name: value" header).</summary>
    internal static HttpRequestMessage RequestFor(string method, string path, string? body, string header)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) { Headers = { ContentType = new("application/json") } };
        if (header.Length > 0)
        {
            var (name, value) = (header[..header.IndexOf(':')], header[(header.IndexOf(':') + 1)..].Trim());
            if (name == "Content-Type")
                request.Content!.Headers.ContentType = new(value);
            else
                request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }
}
