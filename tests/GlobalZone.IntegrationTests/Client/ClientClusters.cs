using GlobalZone.Client;
using Microsoft.Extensions.Logging;

namespace GlobalZone.IntegrationTests.Client;

/// <summary>Starting clusters for the client tests, and clients for them.</summary>
internal static class ClientClusters
{
    /// <summary>
    /// A cluster whose leader has settled in the preferred site (dc1). The client would ride out the early hand-off
    /// anyway; waiting keeps the failover tests about the failure they inject.
    /// </summary>
    public static async Task<TestCluster> StartAsync(string name, string layout, ITestOutputHelper? output = null)
    {
        var cluster = await TestCluster.StartAsync(name, layout, output);
        try
        {
            await Eventually.GetAsync(async () =>
            {
                var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(10));
                return leader.Spec.Site == "dc1" ? leader : null;
            }, TimeSpan.FromSeconds(30), "a leader in dc1");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Client settings for a test cluster: every member URL (the witness too: the client must skip it), short lock leases.</summary>
    public static GlobalZoneClientOptions Options(TestCluster cluster, string? site = null) => new()
    {
        Endpoints = [.. cluster.Members.Select(m => m.Url)],
        Site = site,
        LockLeaseTtl = TimeSpan.FromSeconds(5),
        RequestTimeout = TimeSpan.FromSeconds(5),
        RetryBudget = TimeSpan.FromSeconds(30),
        MaxAttempts = 20,
        // The suite's security mode: trust the cluster's CA and use root's token (signing in per client would run
        // into the per-user sign-in rate limit: every test client is root from 127.0.0.1).
        CaCertificateFile = cluster.Credentials?.CaCertFile,
        Token = cluster.Credentials?.Token,
    };

    public static GlobalZoneClient Client(TestCluster cluster, string? site = null, ILoggerFactory? logging = null, Action<GlobalZoneClientOptions>? configure = null)
    {
        var options = Options(cluster, site);
        configure?.Invoke(options);
        return new GlobalZoneClient(options, logging);
    }
}

/// <summary>One cluster of 2+1 voters and a witness, shared by the client tests that do not kill members.</summary>
public sealed class SharedClientCluster : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await ClientClusters.StartAsync("client", "2+1+1");

    public Task DisposeAsync() => Cluster.DisposeAsync().AsTask();
}

[CollectionDefinition(Name)]
public sealed class SharedClientClusterCollection : ICollectionFixture<SharedClientCluster>
{
    public const string Name = "client-shared-cluster";
}
