namespace GlobalZone.IntegrationTests.Api;

/// <summary>One real three-voter cluster (2 members in dc1, 1 in dc2) shared by the tests of a class that do not kill members.</summary>
public sealed class ThreeVoterCluster : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await SettledCluster.StartAsync("api", "2+1+0");

    public Task DisposeAsync() => Cluster.DisposeAsync().AsTask();
}
