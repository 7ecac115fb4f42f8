using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GlobalZone.IntegrationTests.Client;

/// <summary>
/// <c>services.AddHealthChecks().AddGlobalZone()</c> against real members: healthy with the real leader named, degraded
/// naming a killed follower, unhealthy once a majority is gone.
/// </summary>
public sealed class HealthCheckClusterTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TheHealthCheckFollowsMembersBeingKilled()
    {
        await using var cluster = await ClientClusters.StartAsync("client-health", "2+1+1", output);
        var leader = await cluster.WaitForLeaderAsync();
        var options = ClientClusters.Options(cluster);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddGlobalZoneClient(o =>
        {
            o.Endpoints = options.Endpoints;
            o.CaCertificateFile = options.CaCertificateFile;
            o.Token = options.Token;
            o.RequestTimeout = TimeSpan.FromSeconds(2);
        });
        services.AddHealthChecks().AddGlobalZone();
        await using var provider = services.BuildServiceProvider();
        var health = provider.GetRequiredService<HealthCheckService>();

        async Task<HealthReportEntry> CheckAsync()
        {
            var entry = (await health.CheckHealthAsync()).Entries["globalzone"];
            output.WriteLine($"{entry.Status}: {entry.Description}");
            return entry;
        }

        var healthy = await CheckAsync();
        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Equal(leader.Id, healthy.Data["leader"]);
        Assert.Equal(cluster.Members.Count, healthy.Data["members"]);

        var follower = cluster.AnyFollowerOf(leader);
        follower.Kill();
        var degraded = await Eventually.GetAsync(async () => await CheckAsync() is { Status: HealthStatus.Degraded } e ? (object)e : null,
            TimeSpan.FromSeconds(30), "a degraded report");
        Assert.Equal(follower.Id, ((HealthReportEntry)degraded).Data["unreachable"]);

        // 2+1 voters and the witness: with two of the four gone no majority remains, so no leader.
        var second = cluster.Members.First(m => m.IsRunning && !m.Spec.IsWitness && m.Id != follower.Id && m.Id != leader.Id);
        second.Kill();
        await Eventually.TrueAsync(async () => (await CheckAsync()).Status == HealthStatus.Unhealthy, TimeSpan.FromSeconds(60), "an unhealthy report once the majority is gone");
    }
}
