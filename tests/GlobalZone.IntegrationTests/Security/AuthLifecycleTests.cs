using System.Diagnostics;
using GlobalZone.IntegrationTests.Api;
using GlobalZone.IntegrationTests.Operations;
using static GlobalZone.IntegrationTests.Security.AuthHttp;

namespace GlobalZone.IntegrationTests.Security;

/// <summary>
/// Auth from off to on and back with the real <c>gz</c>, on one member whose tokens live 3 seconds: enabling is refused
/// until root exists with the root role, tokens expire, and gz signs in with <c>--user</c>.
/// </summary>
public sealed class AuthLifecycleTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task EnableNeedsRootThenGzSignsInAndTokensExpire()
    {
        await using var cluster = await SettledCluster.StartAsync("auth-lifecycle", "1+0+0", output, configure: s => s with
        {
            Extra = new Dictionary<string, string> { ["Auth:TokenTtlSeconds"] = "3" },
        }, ownSecurity: true);
        var member = cluster.Members[0];
        var client = cluster.Client(member);
        string[] endpoints = [member.Url];

        // Off by default: everything works without a token, and no token is issued.
        Assert.Equal(200, (await ApiHttp.PutAsync(client, "app/x", "1")).Code);
        var noToken = await ApiHttp.SendAsync(client, "POST", "/v1/auth/token", Json(new { name = "root", password = "pw" }));
        Assert.Equal(409, noToken.Code);
        Assert.EndsWith("/auth-not-enabled", ProblemType(noToken));

        // Refused without a root user, and with one that lacks the root role.
        var refused = await ApiHttp.SendAsync(client, "POST", "/v1/auth/enable");
        Assert.Equal(409, refused.Code);
        Assert.EndsWith("/auth-conflict", ProblemType(refused));
        var gzRefused = await GzTool.RunAsync(endpoints, Timeout, "auth", "enable");
        Assert.True(gzRefused.ExitCode != 0 && gzRefused.Stderr.Contains("root", StringComparison.Ordinal), gzRefused.ToString());
        await Gz(endpoints, "user", "add", "root:rootpw");
        Assert.NotEqual(0, (await GzTool.RunAsync(endpoints, Timeout, "auth", "enable")).ExitCode);
        Assert.Contains("disabled", (await Gz(endpoints, "auth", "status")).Stdout);

        await Gz(endpoints, "user", "grant-role", "root", "root");
        await Gz(endpoints, "role", "add", "app");
        await Gz(endpoints, "role", "grant-permission", "app", "readwrite", "app/");
        await Gz(endpoints, "user", "add", "alice:alicepw");
        await Gz(endpoints, "user", "grant-role", "alice", "app");
        await Gz(endpoints, "auth", "enable");

        // On: gz without --user is refused; with it, signed in.
        var anonymous = await GzTool.RunAsync(endpoints, Timeout, "user", "list");
        Assert.True(anonymous.ExitCode != 0 && anonymous.Stderr.Contains("401", StringComparison.Ordinal), anonymous.ToString());
        var users = await Gz(endpoints, "user", "list", "--user", "root:rootpw");
        Assert.Contains("alice\tapp", users.Stdout);
        Assert.Contains("root\troot", users.Stdout);
        Assert.Contains("signed in as alice", (await Gz(endpoints, "auth", "status", "--user", "alice:alicepw")).Stdout);
        await Gz(endpoints, "kv", "put", "app/y", "2", "--user", "alice:alicepw");
        var denied = await GzTool.RunAsync(endpoints, Timeout, "kv", "put", "other/y", "2", "--user", "alice:alicepw");
        Assert.True(denied.ExitCode != 0 && denied.Stderr.Contains("403", StringComparison.Ordinal), denied.ToString());
        var wrongPassword = await GzTool.RunAsync(endpoints, Timeout, "kv", "get", "app/y", "--user", "alice:nope");
        Assert.True(wrongPassword.ExitCode != 0 && wrongPassword.Stderr.Contains("401", StringComparison.Ordinal), wrongPassword.ToString());
        Assert.Contains("app/", (await Gz(endpoints, "role", "list", "--user", "root:rootpw")).Stdout);

        // A token expires after the configured 3 s, checked by this member's clock.
        var token = await TokenAsync(client, "alice", "alicepw");
        var issued = Stopwatch.StartNew();
        Assert.Equal(200, (await AsAsync(client, token, "GET", "/v1/kv/app/y")).Code);
        var expired = await Eventually.GetAsync(async () =>
        {
            var answer = await AsAsync(client, token, "GET", "/v1/kv/app/y");
            Assert.True(answer.Code is 200 or 401, answer.ToString());
            return answer.Code == 401 ? answer : null;
        }, TimeSpan.FromSeconds(30), "the token to expire", TimeSpan.FromMilliseconds(100));
        Assert.Contains("expired", expired.Body.GetProperty("detail").GetString());
        Assert.True(issued.Elapsed >= TimeSpan.FromSeconds(2), $"refused after only {issued.ElapsedMilliseconds} ms");
        output.WriteLine($"token refused {issued.ElapsedMilliseconds} ms after it was issued (TTL 3000 ms)");

        // A watch lives no longer than its token: it delivers while the token is valid, then ends with an error event
        // that says to resume with a new one (an expired credential must not go on receiving changes).
        var watchToken = await TokenAsync(client, "alice", "alicepw");
        var watchIssued = Stopwatch.StartNew();
        using var streaming = new HttpClient { BaseAddress = new Uri(member.Url), Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        streaming.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", watchToken);
        using var watchDeadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (watch, watchStatus, watchError) = await SseReader.OpenAsync(streaming, "/v1/watch?prefix=app/", token: watchDeadline.Token);
        Assert.True(watch is not null, $"{watchStatus} {watchError}");
        await using (watch)
        {
            Assert.Equal(200, (await AsAsync(client, watchToken, "PUT", "/v1/kv/app/watched", "1")).Code);
            var delivered = false;
            while (true)
            {
                var e = await watch!.NextAsync(watchDeadline.Token);
                Assert.True(e is not null, "the watch ended without saying why");
                if (e!.Name == "revision")
                {
                    delivered = true;
                    continue;
                }

                if (e.Name != "error")
                    continue;
                Assert.EndsWith("/unauthenticated", e.Data.GetProperty("type").GetString());
                Assert.Contains("resume from revision", e.Data.GetProperty("detail").GetString());
                break;
            }

            Assert.True(delivered, "the change made while the token was valid was not delivered");
            Assert.True(watchIssued.Elapsed >= TimeSpan.FromSeconds(2), $"the watch ended after only {watchIssued.ElapsedMilliseconds} ms");
            Assert.Null(await watch!.NextAsync(watchDeadline.Token)); // and the stream is closed
            output.WriteLine($"watch ended {watchIssued.ElapsedMilliseconds} ms after its token was issued (TTL 3000 ms)");
        }

        // Disabled again: back to no tokens at all.
        await Gz(endpoints, "auth", "disable", "--user", "root:rootpw");
        Assert.Equal(200, (await ApiHttp.GetAsync(client, "/v1/kv/app/y")).Code);
        Assert.Equal(200, (await ApiHttp.GetAsync(client, "/v1/backup")).Code);
        Assert.Contains("disabled", (await Gz(endpoints, "auth", "status")).Stdout);
    }

    private static async Task<GzTool.Result> Gz(string[] endpoints, params string[] args)
    {
        var result = await GzTool.RunAsync(endpoints, Timeout, args);
        Assert.True(result.ExitCode == 0, $"gz {string.Join(' ', args)}: {result}");
        return result;
    }
}
