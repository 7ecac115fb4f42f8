using System.Diagnostics;
using GlobalZone.ClusterRunner;
using GlobalZone.Contracts;

namespace GlobalZone.IntegrationTests.Witness;

/// <summary>What the witness scenarios share: starting the three-site cluster (with or without the simulated WAN), waiting for leaders by site, reporting figures.</summary>
internal static class SiteFailover
{
    /// <summary>Elections here take 300–600 ms; this bounds a failover with a witness hand-off (issue 4's aim: 3 election timeouts plus catch-up) with room for a loaded 2-core machine.</summary>
    public static readonly TimeSpan FailoverBound = TimeSpan.FromSeconds(10);

    public static Task<TestCluster> StartAsync(string name, string layout, ITestOutputHelper output, bool wan, bool partitionable = false,
        IReadOnlyDictionary<string, string>? extra = null)
        => TestCluster.StartAsync(name + (wan ? "-wan" : ""), layout, output, partitionable, settings =>
        {
            if (extra is not null)
                settings = settings with { Extra = new Dictionary<string, string>(extra) };
            return wan ? settings.WithWan(SimulatedWan.GlobalPreset) : settings;
        });

    public static IReadOnlyList<MemberProcess> Voters(this TestCluster cluster) => cluster.Members.Where(m => !m.Spec.IsWitness).ToList();

    public static MemberProcess Witness(this TestCluster cluster) => cluster.Members.Single(m => m.Spec.IsWitness);

    public static IReadOnlyList<MemberProcess> Site(this TestCluster cluster, string site) => cluster.Members.Where(m => m.Spec.Site == site).ToList();

    public static IReadOnlyList<HttpClient> LiveVoterClients(this TestCluster cluster, IEnumerable<MemberProcess>? among = null)
        => (among ?? cluster.Voters()).Where(m => m.IsRunning && !m.IsPaused).Select(cluster.Client).ToList();

    /// <summary>Waits until the live members among <paramref name="among"/> agree on a leader that is a voter (not the witness handing over).</summary>
    public static async Task<MemberProcess> WaitForVoterLeaderAsync(this TestCluster cluster, TimeSpan timeout, IEnumerable<MemberProcess>? among = null,
        Func<MemberProcess, bool>? accept = null)
    {
        var clock = Stopwatch.StartNew();
        var group = (among ?? cluster.Members).ToList();
        while (true)
        {
            var remaining = timeout - clock.Elapsed;
            if (remaining <= TimeSpan.Zero)
                throw new TimeoutException($"No accepted voter leader within {timeout}; last seen: {await DescribeAsync(cluster, group)}");
            MemberProcess leader;
            try
            {
                leader = await cluster.Cluster.WaitForLeaderAsync(remaining, group.Where(m => m.IsRunning && !m.IsPaused));
            }
            catch (TimeoutException)
            {
                continue;
            }

            if (!leader.Spec.IsWitness && (accept?.Invoke(leader) ?? true))
                return leader;
            await Task.Delay(50);
        }
    }

    public static Task<MemberProcess> WaitForLeaderInSiteAsync(this TestCluster cluster, string site, TimeSpan timeout, IEnumerable<MemberProcess>? among = null)
        => cluster.WaitForVoterLeaderAsync(timeout, among, m => m.Spec.Site == site);

    public static async Task<ClusterStatus> StatusAsync(this TestCluster cluster, MemberProcess member)
        => await cluster.Cluster.TryGetStatusAsync(member, CancellationToken.None) ?? throw new InvalidOperationException($"{member.Id} did not answer /v1/cluster");

    /// <summary>Waits until every live voter among <paramref name="members"/> reports (to <paramref name="asked"/>) no replication lag.</summary>
    public static Task CaughtUpAsync(this TestCluster cluster, MemberProcess asked, IEnumerable<MemberProcess> members, TimeSpan timeout)
    {
        var ids = members.Select(m => m.Id).ToHashSet();
        return Eventually.TrueAsync(async () =>
        {
            var status = await cluster.Cluster.TryGetStatusAsync(asked, CancellationToken.None);
            return status is not null && status.Members.Where(m => ids.Contains(m.Id)).All(m => m.ReplicationLag == 0 && m.ReportAgeMs < 2000);
        }, timeout, $"{string.Join(",", ids)} caught up as {asked.Id} sees them");
    }

    public static void Report(ITestOutputHelper output, string scenario, bool wan, string figure, TimeSpan value)
        => output.WriteLine($"FIGURE scenario={scenario} wan={(wan ? "on" : "off")} {figure}={value.TotalMilliseconds:F0}ms");

    private static async Task<string> DescribeAsync(TestCluster cluster, IEnumerable<MemberProcess> group)
    {
        var parts = new List<string>();
        foreach (var member in group.Where(m => m.IsRunning && !m.IsPaused))
        {
            var status = await cluster.Cluster.TryGetStatusAsync(member, CancellationToken.None);
            parts.Add($"{member.Id}->{status?.LeaderId ?? "?"}");
        }

        return string.Join(", ", parts);
    }
}
