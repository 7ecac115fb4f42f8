using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using GlobalZone.IntegrationTests.Api;
using static GlobalZone.IntegrationTests.Security.AuthHttp;

namespace GlobalZone.IntegrationTests.Security;

/// <summary>
/// Users and roles on a real three-voter cluster with auth enabled: every client route refuses a caller without a token
/// (401) and one whose roles lack the permission (403); grants on prefixes; role changes seen on every member; watches.
/// </summary>
public sealed class AuthTests(AuthCluster fixture, ITestOutputHelper output) : IClassFixture<AuthCluster>
{
    private const string Problems = "https://globalzone.dev/problems/";

    /// <summary>
    /// Public on purpose, each for a reason: the token exchange (how one authenticates), auth status (whether one must),
    /// cluster status (clients discover members and the leader there before they hold a token; it has no keys), and
    /// the OpenAPI document (the same static description for every cluster), and the status page (a static page; its
    /// data comes from <c>/v1/status/feed</c>, which is protected).
    /// </summary>
    private static readonly HashSet<string> PublicRoutes =
        ["POST /v1/auth/token", "GET /v1/auth/status", "GET /v1/cluster", "GET /v1/openapi.json", "GET /ui"];

    /// <summary>The only client route outside <c>/v1</c>: the status page's HTML.</summary>
    private static readonly string[] StatusPageRoutes = ["/ui"];

    /// <summary>
    /// Not client routes, so not for user tokens: peer traffic (members authenticate each other with mTLS), health
    /// probes and the metrics scrape.
    /// </summary>
    private static readonly string[] NotClientRoutes = ["/internal/", "/cluster-consensus", "/healthz", "/readyz", "/metrics"];

    [Fact]
    public async Task EveryClientRouteInTheServersRouteTableRefusesCallersWithoutATokenOrWithoutThePermission()
    {
        // Internal routes answer members of the same cluster only (ClusterNameGuard).
        var table = await ApiHttp.GetAsync(fixture.Leader, "/internal/v1/testing/routes", ("X-GZ-Cluster", fixture.Cluster.Cluster.Settings.ClusterName));
        Assert.Equal(200, table.Code);
        var nobody = await fixture.TokenAsync("nobody");
        var checkedRoutes = new List<string>();
        foreach (var route in table.Body.EnumerateArray())
        {
            var pattern = route.GetProperty("pattern").GetString()!;
            if (NotClientRoutes.Any(prefix => pattern.StartsWith(prefix, StringComparison.Ordinal)))
                continue;
            // A route outside /v1 must be classified above (or moved under /v1) before it can ship.
            Assert.True(pattern.StartsWith("/v1/", StringComparison.Ordinal) || StatusPageRoutes.Contains(pattern), $"{pattern} is outside /v1 and unclassified");
            foreach (var method in route.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!))
            {
                var name = $"{method} {pattern}";
                var path = Instantiate(pattern);
                if (PublicRoutes.Contains(name))
                {
                    Assert.True(route.GetProperty("anonymous").GetBoolean(), $"{name} is listed public but not marked AllowAnonymous");
                    Assert.NotEqual(401, (await AsAsync(fixture.Leader, null, method, path)).Code);
                    continue;
                }

                Assert.False(route.GetProperty("anonymous").GetBoolean(), $"{name} allows anonymous callers but is not in the public list");
                var anonymous = await AsAsync(fixture.Leader, null, method, path);
                Assert.True(anonymous.Code == 401, $"{name} without a token: {anonymous}");
                Assert.Equal("application/problem+json", anonymous.MediaType);
                Assert.Equal(Problems + "unauthenticated", ProblemType(anonymous));
                Assert.Equal("Bearer", anonymous.Header("WWW-Authenticate"));

                var forged = await AsAsync(fixture.Leader, "gz1.cm9vdA.99999999999999.AAAA", method, path);
                Assert.True(forged.Code == 401, $"{name} with a forged token: {forged}");

                var denied = await AsAsync(fixture.Leader, nobody, method, path);
                Assert.True(denied.Code == 403, $"{name} for a user without roles: {denied}");
                Assert.Equal("application/problem+json", denied.MediaType);
                Assert.Equal(Problems + "permission-denied", ProblemType(denied));
                checkedRoutes.Add(name);
            }
        }

        output.WriteLine($"{checkedRoutes.Count} protected routes checked: {string.Join(", ", checkedRoutes)}");
        // The table really is the server's: the routes the issue names are in it.
        foreach (var expected in new[]
                 {
                     "GET /v1/backup", "DELETE /v1/members/{id}", "POST /v1/members", "POST /v1/cluster/standby", "DELETE /v1/cluster/standby",
                     "PUT /v1/kv/{**key}", "GET /v1/kv/{**key}", "POST /v1/txn", "GET /v1/watch", "POST /v1/locks/{**name}", "POST /v1/leases",
                     "GET /v1/status/feed",
                     "POST /v1/auth/enable", "POST /v1/auth/users",
                 })
            Assert.Contains(expected, checkedRoutes);
    }

    [Fact]
    public async Task EveryRouteInTheServersRouteTableIsInTheOpenApiDocument()
    {
        // The same table: a route added later without its documentation fails here. Peer routes are not for users.
        var table = await ApiHttp.GetAsync(fixture.Leader, "/internal/v1/testing/routes", ("X-GZ-Cluster", fixture.Cluster.Cluster.Settings.ClusterName));
        Assert.Equal(200, table.Code);
        var document = await ApiHttp.GetAsync(fixture.Leader, "/v1/openapi.json");
        Assert.Equal(200, document.Code);
        var paths = document.Body.GetProperty("paths");
        var missing = new List<string>();
        var documented = new HashSet<string>();
        foreach (var route in table.Body.EnumerateArray())
        {
            var pattern = route.GetProperty("pattern").GetString()!;
            if (pattern.StartsWith("/internal/", StringComparison.Ordinal) || pattern.StartsWith("/cluster-consensus", StringComparison.Ordinal))
                continue;
            // ASP.NET's catch-all {**key} is OpenAPI's {key}.
            var path = System.Text.RegularExpressions.Regex.Replace(pattern, @"\{\*\*(\w+)\}", "{$1}");
            // A route without methods answers any (health probes, the Prometheus scrape): it must at least document GET.
            var methods = route.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToLowerInvariant()).DefaultIfEmpty("get");
            foreach (var method in methods)
            {
                if (paths.TryGetProperty(path, out var item) && item.TryGetProperty(method, out _))
                    documented.Add($"{method.ToUpperInvariant()} {path}");
                else
                    missing.Add($"{method.ToUpperInvariant()} {path}");
            }
        }

        output.WriteLine($"{documented.Count} routes documented");
        Assert.True(missing.Count == 0, "routes the OpenAPI document leaves out: " + string.Join(", ", missing));
        Assert.True(documented.Count > 40, $"only {documented.Count} routes: the table is not the server's");
        // Routes of every kind, each in the table and the document: admin, streams, the page, and the routes that are
        // not endpoints the generator sees (health probes and the Prometheus scrape, added by a document transformer).
        foreach (var expected in new[]
                 {
                     "GET /v1/backup", "POST /v1/cluster/standby", "DELETE /v1/cluster/standby", "GET /metrics", "GET /healthz", "GET /readyz",
                     "GET /ui", "GET /v1/status/feed", "GET /v1/watch", "GET /v1/openapi.json",
                 })
            Assert.Contains(expected, documented);
    }

    [Fact]
    public async Task GrantsOnAPrefixAllowExactlyWhatTheySayForKeysTransactionsLocksAndLeases()
    {
        var client = fixture.Leader;
        var (root, reader, writer) = (await fixture.TokenAsync("root"), await fixture.TokenAsync("reader"), await fixture.TokenAsync("writer"));
        Assert.Equal(200, (await AsAsync(client, writer, "PUT", "/v1/kv/app/a", "1")).Code);
        Assert.Equal(200, (await AsAsync(client, root, "PUT", "/v1/kv/apple/secret", "2")).Code);

        Assert.Equal(200, (await AsAsync(client, reader, "GET", "/v1/kv/app/a")).Code);
        Assert.Equal(200, (await AsAsync(client, reader, "GET", "/v1/kv/app/?prefix")).Code);
        Assert.Equal(403, (await AsAsync(client, reader, "PUT", "/v1/kv/app/a", "3")).Code);
        Assert.Equal(403, (await AsAsync(client, reader, "DELETE", "/v1/kv/app/a")).Code);
        // "app" is not under "app/": it would list apple/secret.
        Assert.Equal(403, (await AsAsync(client, reader, "GET", "/v1/kv/app?prefix")).Code);
        Assert.Equal(403, (await AsAsync(client, reader, "GET", "/v1/kv/?prefix")).Code);
        Assert.Equal(403, (await AsAsync(client, writer, "GET", "/v1/kv/apple/secret")).Code);
        Assert.Equal(403, (await AsAsync(client, writer, "DELETE", "/v1/kv/app?prefix")).Code);

        // Transactions: every key, whichever branch would run.
        Assert.Equal(200, (await AsAsync(client, reader, "POST", "/v1/txn", "{\"success\":[{\"op\":\"get\",\"key\":\"app/a\"}]}")).Code);
        var readerPut = await AsAsync(client, reader, "POST", "/v1/txn", "{\"success\":[{\"op\":\"put\",\"key\":\"app/a\",\"value\":1}]}");
        Assert.Equal(403, readerPut.Code);
        Assert.Equal(Problems + "permission-denied", ProblemType(readerPut));
        Assert.Equal(403, (await AsAsync(client, writer, "POST", "/v1/txn",
            "{\"compare\":[{\"key\":\"apple/secret\",\"target\":\"version\",\"op\":\">\",\"value\":0}],\"success\":[{\"op\":\"put\",\"key\":\"app/a\",\"value\":1}]}")).Code);
        Assert.Equal(403, (await AsAsync(client, writer, "POST", "/v1/txn", "{\"failure\":[{\"op\":\"delete\",\"prefix\":\"ap\"}]}")).Code);
        Assert.Equal(200, (await AsAsync(client, writer, "POST", "/v1/txn", "{\"success\":[{\"op\":\"delete\",\"prefix\":\"app/zzz\"}]}")).Code);

        // Leases need write somewhere; locks are checked as the key of their name.
        Assert.Equal(403, (await AsAsync(client, reader, "POST", "/v1/leases", "{\"ttl\":30}")).Code);
        var lease = await AsAsync(client, writer, "POST", "/v1/leases", "{\"ttl\":30}");
        Assert.Equal(201, lease.Code);
        var leaseId = lease.Body.GetProperty("id").GetInt64();
        Assert.Equal(200, (await AsAsync(client, writer, "POST", "/v1/locks/app/lock", $"{{\"lease\":{leaseId}}}")).Code);
        Assert.Equal(403, (await AsAsync(client, writer, "POST", "/v1/locks/ops/lock", $"{{\"lease\":{leaseId}}}")).Code);
        var rootLease = (await AsAsync(client, root, "POST", "/v1/leases", "{\"ttl\":30}")).Body.GetProperty("id").GetInt64();
        Assert.Equal(200, (await AsAsync(client, root, "POST", "/v1/locks/ops/lock", $"{{\"lease\":{rootLease}}}")).Code);
        Assert.Equal(200, (await AsAsync(client, root, "PUT", $"/v1/kv/ops/leased?lease={rootLease}", "1")).Code);
        // Revoking root's lease would delete ops/leased and release ops/lock: not for a writer of app/ only.
        Assert.Equal(403, (await AsAsync(client, writer, "DELETE", $"/v1/leases/{rootLease}")).Code);
        Assert.Equal(200, (await AsAsync(client, root, "GET", "/v1/kv/ops/leased")).Code);
        Assert.DoesNotContain("ops/leased", (await AsAsync(client, writer, "GET", $"/v1/leases/{rootLease}?keys")).Text);
        Assert.Contains("ops/leased", (await AsAsync(client, root, "GET", $"/v1/leases/{rootLease}?keys")).Text);
        Assert.Equal(200, (await AsAsync(client, reader, "GET", "/v1/locks/app/lock")).Code);
        Assert.Equal(403, (await AsAsync(client, reader, "GET", "/v1/locks/ops/lock")).Code);
        var listed = await AsAsync(client, reader, "GET", "/v1/locks");
        Assert.Equal(200, listed.Code);
        Assert.Contains("app/lock", listed.Text);
        Assert.DoesNotContain("ops/lock", listed.Text);
        Assert.Contains("ops/lock", (await AsAsync(client, root, "GET", "/v1/locks")).Text);

        // Admin is the root role only.
        Assert.Equal(403, (await AsAsync(client, writer, "GET", "/v1/backup")).Code);
        Assert.Equal(403, (await AsAsync(client, writer, "POST", "/v1/auth/users", Json(new { name = "mallory", password = "x" }))).Code);
        Assert.Equal(200, (await AsAsync(client, root, "GET", "/v1/members")).Code);
        Assert.Equal(404, (await AsAsync(client, root, "DELETE", "/v1/members/no-such-member")).Code);
        using var backup = new HttpRequestMessage(HttpMethod.Get, "/v1/backup") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", root) } };
        using var backupResponse = await client.SendAsync(backup, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)backupResponse.StatusCode);
    }

    [Fact]
    public async Task TokensNeedTheRightPasswordAndEndWithTheirUser()
    {
        var client = fixture.Leader;
        var wrong = await ApiHttp.SendAsync(client, "POST", "/v1/auth/token", Json(new { name = "reader", password = "guess" }));
        Assert.Equal(401, wrong.Code);
        Assert.Equal(Problems + "invalid-credentials", ProblemType(wrong));
        var unknown = await ApiHttp.SendAsync(client, "POST", "/v1/auth/token", Json(new { name = "ghost", password = "guess" }));
        Assert.Equal(401, unknown.Code);
        Assert.Equal(wrong.Body.GetProperty("detail").GetString(), unknown.Body.GetProperty("detail").GetString());
        Assert.Equal(400, (await ApiHttp.SendAsync(client, "POST", "/v1/auth/token", "{\"name\":\"reader\"}")).Code);

        var reader = await fixture.TokenAsync("reader");
        var parts = reader.Split('.');
        var asRoot = string.Join('.', parts[0], Convert.ToBase64String(Encoding.UTF8.GetBytes("root")).TrimEnd('='), parts[2], parts[3]);
        Assert.Equal(401, (await AsAsync(client, asRoot, "GET", "/v1/backup")).Code);
        var status = await AsAsync(client, reader, "GET", "/v1/auth/status");
        Assert.Equal("reader", status.Body.GetProperty("user").GetString());

        var root = await fixture.TokenAsync("root");
        await AdminAsync(client, root, "POST", "/v1/auth/users", new { name = "temp", password = AuthCluster.Password });
        await AdminAsync(client, root, "PUT", "/v1/auth/users/temp/roles/app-reader");
        var temp = await fixture.TokenAsync("temp");
        Assert.Equal(200, (await AsAsync(client, temp, "GET", "/v1/kv/app/?prefix")).Code);
        await AdminAsync(client, root, "DELETE", "/v1/auth/users/temp");
        var gone = await AsAsync(client, temp, "GET", "/v1/kv/app/?prefix");
        Assert.Equal(401, gone.Code);
        Assert.Contains("no longer exists", gone.Body.GetProperty("detail").GetString());

        // The operator cannot lock themselves out while auth is on.
        Assert.Equal(409, (await AsAsync(client, root, "DELETE", "/v1/auth/users/root")).Code);
        Assert.Equal(409, (await AsAsync(client, root, "DELETE", "/v1/auth/users/root/roles/root")).Code);
        Assert.Equal(409, (await AsAsync(client, root, "DELETE", "/v1/auth/roles/root")).Code);
    }

    [Fact]
    public async Task ARoleChangeReachesEveryMemberAndAppliesToTokensAlreadyIssued()
    {
        var root = await fixture.TokenAsync("root");
        await AdminAsync(fixture.Leader, root, "POST", "/v1/auth/users", new { name = "mover", password = AuthCluster.Password });
        Assert.Equal(200, (await AsAsync(fixture.Leader, root, "PUT", "/v1/kv/app/moved", "1")).Code);
        var voters = fixture.Cluster.Members.Where(m => !m.Spec.IsWitness).ToList();
        var mover = await Eventually.GetAsync(async () =>
        {
            var answer = await ApiHttp.SendAsync(fixture.Cluster.Client(voters[^1]), "POST", "/v1/auth/token", Json(new { name = "mover", password = AuthCluster.Password }));
            return answer.Code == 200 ? answer.Body.GetProperty("token").GetString() : null;
        }, TimeSpan.FromSeconds(20), "a token for the new user from the last member");
        foreach (var member in voters)
            Assert.Equal(403, (await AsAsync(fixture.Cluster.Client(member), mover, "GET", "/v1/kv/app/moved")).Code);

        var granted = Stopwatch.StartNew();
        await AdminAsync(fixture.Leader, root, "PUT", "/v1/auth/users/mover/roles/app-reader");
        foreach (var member in voters)
        {
            await Eventually.TrueAsync(async () => (await AsAsync(fixture.Cluster.Client(member), mover, "GET", "/v1/kv/app/moved?consistency=stale")).Code == 200,
                TimeSpan.FromSeconds(20), $"the grant to reach {member.Id}");
        }

        output.WriteLine($"grant seen by every member {granted.ElapsedMilliseconds} ms after the leader acknowledged it (upper bound, sequential polls)");
        var revoked = Stopwatch.StartNew();
        await AdminAsync(fixture.Leader, root, "DELETE", "/v1/auth/users/mover/roles/app-reader");
        foreach (var member in voters)
        {
            await Eventually.TrueAsync(async () => (await AsAsync(fixture.Cluster.Client(member), mover, "GET", "/v1/kv/app/moved?consistency=stale")).Code == 403,
                TimeSpan.FromSeconds(20), $"the revocation to reach {member.Id}");
        }

        output.WriteLine($"revocation seen by every member {revoked.ElapsedMilliseconds} ms after the leader acknowledged it");
    }

    [Fact]
    public async Task AWatchDeliversOnlyKeysItsUserMayRead()
    {
        var root = await fixture.TokenAsync("root");
        var leader = await fixture.Cluster.WaitForLeaderAsync();
        var follower = fixture.Cluster.AnyFollowerOf(leader);
        await AdminAsync(fixture.Leader, root, "POST", "/v1/auth/users", new { name = "watcher", password = AuthCluster.Password });
        await AdminAsync(fixture.Leader, root, "PUT", "/v1/auth/users/watcher/roles/app-reader");
        var watcher = await Eventually.GetAsync(async () =>
        {
            var answer = await ApiHttp.SendAsync(fixture.Cluster.Client(follower), "POST", "/v1/auth/token", Json(new { name = "watcher", password = AuthCluster.Password }));
            return answer.Code == 200 ? answer.Body.GetProperty("token").GetString() : null;
        }, TimeSpan.FromSeconds(20), "a token from the follower");

        using var streaming = new HttpClient { BaseAddress = new Uri(follower.Url), Timeout = Timeout.InfiniteTimeSpan };
        streaming.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", watcher);
        foreach (var refused in new[] { "/v1/watch?prefix=", "/v1/watch?prefix=app", "/v1/watch?key=apple/secret" })
        {
            var (none, code, _) = await SseReader.OpenAsync(streaming, refused);
            Assert.Null(none);
            Assert.Equal(403, code);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (watch, status, error) = await SseReader.OpenAsync(streaming, "/v1/watch?prefix=app/", token: cts.Token);
        Assert.True(watch is not null, $"{status} {error}");
        await using var _ = watch;
        Assert.Equal(200, (await AsAsync(fixture.Leader, root, "PUT", "/v1/kv/apple/hidden", "1")).Code);
        Assert.Equal(200, (await AsAsync(fixture.Leader, root, "PUT", "/v1/kv/other/hidden", "1")).Code);
        Assert.Equal(200, (await AsAsync(fixture.Leader, root, "POST", "/v1/txn",
            "{\"success\":[{\"op\":\"put\",\"key\":\"app/seen\",\"value\":1},{\"op\":\"put\",\"key\":\"ap/hidden\",\"value\":1}]}")).Code);
        var keys = new List<string>();
        while (!keys.Contains("app/seen"))
        {
            var e = await watch!.NextAsync(cts.Token) ?? throw new InvalidOperationException("watch ended");
            if (e.Name == "revision")
                keys.AddRange(e.Data.GetProperty("events").EnumerateArray().Select(ev => ev.GetProperty("kv").GetProperty("key").GetString()!));
        }

        Assert.All(keys, key => Assert.StartsWith("app/", key));

        // Revoked mid-stream: later changes under app/ are no longer delivered, although the stream stays open.
        await AdminAsync(fixture.Leader, root, "DELETE", "/v1/auth/users/watcher/roles/app-reader");
        await Eventually.TrueAsync(async () => (await AsAsync(fixture.Cluster.Client(follower), watcher, "GET", "/v1/kv/app/seen?consistency=stale")).Code == 403,
            TimeSpan.FromSeconds(20), "the revocation to reach the follower");
        var after = (await AsAsync(fixture.Leader, root, "PUT", "/v1/kv/app/after-revoke", "1")).Revision;
        // Progress events say how far the watch has looked: once past the write, it was skipped, not delayed.
        while (true)
        {
            var e = await watch!.NextAsync(cts.Token) ?? throw new InvalidOperationException("watch ended");
            Assert.NotEqual("revision", e.Name);
            if (e.Name == "progress" && e.Data.GetProperty("revision").GetInt64() >= after)
                break;
        }
    }

    [Fact]
    public async Task TheBadInputTableWithAuthOnNeverAnswers5xx()
    {
        var root = await fixture.TokenAsync("root");
        var nobody = await fixture.TokenAsync("nobody");
        var count = 0;
        foreach (var row in ApiBadInputTests.Cases())
        {
            var (method, path, body, header) = ((string)row[0], (string)row[1], (string?)row[2], (string)row[3]);
            foreach (var token in new[] { root, nobody, null })
            {
                using var request = ApiBadInputTests.RequestFor(method, path, body, header);

                if (token is not null)
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await fixture.Leader.SendAsync(request);
                var code = (int)response.StatusCode;
                var who = token == root ? "root" : token == nobody ? "nobody" : "no token";
                Assert.True(code is >= 400 and < 500, $"{method} {path[..Math.Min(path.Length, 70)]} as {who}: {code}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                count++;
            }
        }

        output.WriteLine($"{count} bad requests, none answered 5xx");
    }

    private static string Instantiate(string pattern)
        => pattern.Replace("{**key}", "authz-probe/k").Replace("{**name}", "authz-probe/lock").Replace("{id}", "1")
            .Replace("{name}", "probe").Replace("{role}", "probe");

    [Fact]
    public async Task TokenRequestsPastTheLimitForOneUserAnswer429WithRetryAfterAndOtherUsersAreUnaffected()
    {
        // The default limit (GlobalZone:Auth:TokenAttemptsPerMinute = 10) for a name of its own, so no other test's user is touched.
        const string target = "someone-guessed";
        for (var i = 0; i < 10; i++)
        {
            var wrong = await ApiHttp.SendAsync(fixture.Leader, "POST", "/v1/auth/token", Json(new { name = target, password = $"guess-{i}" }));
            Assert.True(wrong.Code == 401, $"attempt {i + 1}: {wrong}");
        }

        var limited = await ApiHttp.SendAsync(fixture.Leader, "POST", "/v1/auth/token", Json(new { name = target, password = "guess-11" }));
        Assert.True(limited.Code == 429, limited.ToString());
        Assert.Equal(Problems + "too-many-requests", ProblemType(limited));
        Assert.InRange(int.Parse(limited.Header("Retry-After") ?? "0", System.Globalization.CultureInfo.InvariantCulture), 1, 60);

        // Another user from the same address still signs in.
        Assert.False(string.IsNullOrEmpty(await fixture.TokenAsync("reader")));
    }
}
