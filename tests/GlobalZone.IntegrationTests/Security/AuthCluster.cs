using GlobalZone.IntegrationTests.Api;
using static GlobalZone.IntegrationTests.Security.AuthHttp;

namespace GlobalZone.IntegrationTests.Security;

/// <summary>
/// A three-voter cluster with auth enabled and these users: <c>root</c> (root role), <c>nobody</c> (no role),
/// <c>reader</c> (read on <c>app/</c>), <c>writer</c> (readwrite on <c>app/</c>). Serves its route table (TEST-ONLY).
/// </summary>
public sealed class AuthCluster : IAsyncLifetime
{
    public const string Password = "correct horse battery staple";

    public TestCluster Cluster { get; private set; } = null!;

    public HttpClient Leader { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await SettledCluster.StartAsync("auth", "2+1+0", configure: s => s with
        {
            Extra = new Dictionary<string, string> { ["Testing:ListRoutes"] = "true" },
        }, ownSecurity: true);
        Leader = Cluster.Client(await Cluster.WaitForLeaderAsync());
        foreach (var user in new[] { "root", "nobody", "reader", "writer" })
            await AdminAsync(Leader, null, "POST", "/v1/auth/users", new { name = user, password = Password });
        await AdminAsync(Leader, null, "PUT", "/v1/auth/users/root/roles/root");
        await AdminAsync(Leader, null, "POST", "/v1/auth/roles", new { name = "app-reader" });
        await AdminAsync(Leader, null, "POST", "/v1/auth/roles/app-reader/permissions", new { prefix = "app/", access = "read" });
        await AdminAsync(Leader, null, "POST", "/v1/auth/roles", new { name = "app-writer" });
        await AdminAsync(Leader, null, "POST", "/v1/auth/roles/app-writer/permissions", new { prefix = "app/", access = "readwrite" });
        await AdminAsync(Leader, null, "PUT", "/v1/auth/users/reader/roles/app-reader");
        await AdminAsync(Leader, null, "PUT", "/v1/auth/users/writer/roles/app-writer");
        var enabled = await AdminAsync(Leader, null, "POST", "/v1/auth/enable");
        Assert.True(enabled.Body.GetProperty("enabled").GetBoolean());
    }

    /// <summary>A fresh token (tokens live 5 minutes by default, longer than any test here).</summary>
    public Task<string> TokenAsync(string user, HttpClient? through = null) => AuthHttp.TokenAsync(through ?? Leader, user, Password);

    public Task DisposeAsync() => Cluster.DisposeAsync().AsTask();
}
