namespace GlobalZone.IntegrationTests.Api;

/// <summary>
/// Starts a test cluster and waits until leadership has settled in the preferred site (dc1): a leader elected
/// elsewhere first hands over a few seconds after start, and writes during that hand-off are briefly refused
/// (503/504), which is correct but not what these tests are about.
/// </summary>
internal static class SettledCluster
{
    public static async Task<TestCluster> StartAsync(string name, string layout, ITestOutputHelper? output = null,
        Func<GlobalZone.ClusterRunner.ClusterSettings, GlobalZone.ClusterRunner.ClusterSettings>? configure = null, bool ownSecurity = false)
    {
        var cluster = await TestCluster.StartAsync(name, layout, output, configure: configure, ownSecurity: ownSecurity);
        try
        {
            await WaitForPreferredLeaderAsync(cluster);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public static async Task<GlobalZone.ClusterRunner.MemberProcess> WaitForPreferredLeaderAsync(TestCluster cluster)
    {
        var preferred = cluster.Cluster.Settings.PreferredLeaderSite;
        if (preferred is null || !cluster.Members.Any(m => m.Spec.Site == preferred && !m.Spec.IsWitness && m.IsRunning))
            return await cluster.WaitForLeaderAsync();
        return await Eventually.GetAsync(async () =>
        {
            var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(10));
            return leader.Spec.Site == preferred ? leader : null;
        }, TimeSpan.FromSeconds(30), $"a leader in the preferred site {preferred}");
    }
}
