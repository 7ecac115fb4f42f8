using System.Net;
using GlobalZone.Client;
using GlobalZone.IntegrationTests.Api;
using static GlobalZone.IntegrationTests.Security.AuthHttp;

namespace GlobalZone.IntegrationTests.Security;

/// <summary>
/// The .NET client against a member with auth on and 3-second tokens: with a user and password it keeps working
/// across several token lifetimes (it renews before expiry); a fixed token works until it expires; bad or missing
/// credentials surface as <see cref="GlobalZoneException"/> with 401, a missing permission with 403.
/// </summary>
public sealed class ClientSignInTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TheClientSignsInRenewsItsTokenAndReportsRefusals()
    {
        await using var cluster = await SettledCluster.StartAsync("auth-client", "1+0+0", output, configure: s => s with
        {
            Extra = new Dictionary<string, string> { ["Auth:TokenTtlSeconds"] = "3" },
        }, ownSecurity: true);
        var member = cluster.Members[0];
        var http = cluster.Client(member);
        await AdminAsync(http, null, "POST", "/v1/auth/users", new { name = "root", password = "rootpw" });
        await AdminAsync(http, null, "PUT", "/v1/auth/users/root/roles/root");
        await AdminAsync(http, null, "POST", "/v1/auth/users", new { name = "app", password = "apppw" });
        await AdminAsync(http, null, "POST", "/v1/auth/roles", new { name = "app" });
        await AdminAsync(http, null, "POST", "/v1/auth/roles/app/permissions", new { prefix = "app/", access = "readwrite" });
        await AdminAsync(http, null, "PUT", "/v1/auth/users/app/roles/app");

        using var signedIn = new GlobalZoneClient(new GlobalZoneClientOptions { Endpoints = [member.Url], Username = "app", Password = "apppw" });
        // Auth still off: the client sends no token and works.
        await signedIn.PutAsync("app/before", 1);

        await AdminAsync(http, null, "POST", "/v1/auth/enable");
        using var anonymous = new GlobalZoneClient(new GlobalZoneClientOptions { Endpoints = [member.Url] });
        var refused = await Assert.ThrowsAsync<GlobalZoneException>(() => anonymous.PutAsync("app/x", 1));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        // Across about three token lifetimes, every call succeeds: the client renews ahead of expiry (and once more when
        // a token it holds was issued while auth was off, which it learns from the first refusal).
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(9);
        var calls = 0;
        while (DateTime.UtcNow < until)
        {
            await signedIn.PutAsync("app/counter", calls);
            Assert.Equal(calls, await signedIn.GetValueAsync<int>("app/counter"));
            calls++;
            await Task.Delay(200);
        }

        output.WriteLine($"{calls} put+get pairs over 9 s with 3 s tokens, none refused");
        var denied = await Assert.ThrowsAsync<GlobalZoneException>(() => signedIn.PutAsync("other/x", 1));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.EndsWith("/permission-denied", denied.ProblemType);

        using var wrongPassword = new GlobalZoneClient(new GlobalZoneClientOptions { Endpoints = [member.Url], Username = "app", Password = "nope" });
        var badCredentials = await Assert.ThrowsAsync<GlobalZoneException>(() => wrongPassword.GetAsync("app/counter"));
        Assert.Equal(HttpStatusCode.Unauthorized, badCredentials.StatusCode);
        Assert.EndsWith("/invalid-credentials", badCredentials.ProblemType);

        // A fixed token is used as given, and not renewed.
        var token = await TokenAsync(http, "app", "apppw");
        using var fixedToken = new GlobalZoneClient(new GlobalZoneClientOptions { Endpoints = [member.Url], Token = token });
        Assert.NotNull(await fixedToken.GetAsync("app/counter"));
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await fixedToken.GetAsync("app/counter");
                return false;
            }
            catch (GlobalZoneException e) when (e.StatusCode == HttpStatusCode.Unauthorized)
            {
                return true;
            }
        }, TimeSpan.FromSeconds(30), "the fixed token to expire", TimeSpan.FromMilliseconds(200));
    }
}
