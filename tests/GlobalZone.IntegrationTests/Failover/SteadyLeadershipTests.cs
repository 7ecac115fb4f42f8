using System.Diagnostics;
using System.Text;
using GlobalZone.ClusterRunner;
using GlobalZone.Contracts;
using GlobalZone.IntegrationTests.Api;

namespace GlobalZone.IntegrationTests.Failover;

/// <summary>
/// The faster failover (a 600 ms silence window, the dead-leader probe, standby before campaigning) must not cost
/// needless elections: at the shipped timings (750–1500 ms), under the simulated global WAN (dc1↔dc2 5 ms, dc3 30 ms)
/// and a steady write and linearizable read load through every voter, the leader keeps its term. A member that
/// campaigned on a slow heartbeat would show as a higher term on some member.
/// </summary>
public sealed class SteadyLeadershipTests(ITestOutputHelper output)
{
    private static readonly TimeSpan LoadFor = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Under_load_and_a_global_WAN_the_leader_keeps_its_term()
    {
        await using var cluster = await TestCluster.StartAsync("steady", "2+2+1", output,
            configure: s => s.WithWan("global") with { LowerElectionTimeoutMs = null, UpperElectionTimeoutMs = null });
        var leader = await SettledCluster.WaitForPreferredLeaderAsync(cluster);
        var voters = cluster.Members.Where(m => !m.Spec.IsWitness).ToList();
        // Leadership settled (the preferred site's hand-back is done): the term every member holds from here on.
        long term = 0;
        await Eventually.TrueAsync(async () =>
        {
            var terms = await TermsAsync(cluster);
            term = terms.Values.FirstOrDefault() ?? 0;
            return terms.Values.Distinct().Count() == 1 && term > 0;
        }, TimeSpan.FromSeconds(10), "every member to agree on the term");
        output.WriteLine($"{leader.Id} leads in term {term}");

        using var stop = new CancellationTokenSource(LoadFor);
        long writes = 0, reads = 0, failures = 0;
        var load = new List<Task>();
        for (var i = 0; i < 16; i++)
        {
            var via = cluster.Client(voters[i % voters.Count]);
            var n = i;
            load.Add(Task.Run(async () =>
            {
                var k = 0;
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        using var put = await via.PutAsync($"/v1/kv/steady/w{n}/{k++ % 100}", new StringContent("\"v\"", Encoding.UTF8, "application/json"));
                        Interlocked.Increment(ref put.IsSuccessStatusCode ? ref writes : ref failures);
                        using var get = await via.GetAsync($"/v1/kv/steady/w{n}/0?consistency=linearizable");
                        Interlocked.Increment(ref get.IsSuccessStatusCode ? ref reads : ref failures);
                    }
                    catch (HttpRequestException)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            }));
        }

        var seen = new SortedSet<long>();
        var leaders = new HashSet<string>();
        var clock = Stopwatch.StartNew();
        while (!stop.IsCancellationRequested)
        {
            foreach (var (id, status) in await StatusesAsync(cluster))
            {
                if (status is null)
                    continue;
                seen.Add(status.Term);
                if (status.LeaderId is { } l)
                    leaders.Add(l);
            }

            await Task.Delay(200);
        }

        await Task.WhenAll(load);
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: {writes} writes, {reads} linearizable reads, {failures} failed calls; terms seen {string.Join(", ", seen)}; leaders seen {string.Join(", ", leaders)}");
        Assert.True(writes > 100, $"only {writes} writes: the load did not run");
        Assert.True(seen.Count == 1 && seen.Single() == term, $"the term moved from {term} to {string.Join(", ", seen)} under steady load: an election nobody needed");
        Assert.Equal([leader.Id], leaders);
        Assert.Equal(0, failures);
    }

    private static async Task<Dictionary<string, long?>> TermsAsync(TestCluster cluster)
        => (await StatusesAsync(cluster)).ToDictionary(s => s.Id, s => s.Status?.Term);

    private static async Task<List<(string Id, ClusterStatus? Status)>> StatusesAsync(TestCluster cluster)
    {
        var result = new List<(string, ClusterStatus?)>();
        foreach (var member in cluster.Members)
            result.Add((member.Id, await cluster.Cluster.TryGetStatusAsync(member, CancellationToken.None)));
        return result;
    }
}
