using System.Diagnostics;
using System.Threading.Channels;
using GlobalZone.Client;
using GlobalZone.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GlobalZone.IntegrationTests.Client;

/// <summary>
/// Leader election through the client library on a real cluster: hand-over on resignation seen by an observer, loss
/// on a revoked lease cancelling hosted work, and a Raft leader kill under an election.
/// </summary>
[Collection(SharedClientClusterCollection.Name)]
public sealed class ElectionTests(SharedClientCluster shared, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private TestCluster Cluster => shared.Cluster;

    [Fact]
    public async Task ResigningHandsOverToTheNextCandidateAndTheObserverSeesEachLeader()
    {
        var name = "client-tests/election-" + Guid.NewGuid().ToString("N")[..8];
        await using var a = ClientClusters.Client(Cluster);
        await using var b = ClientClusters.Client(Cluster);
        await using var watcher = ClientClusters.Client(Cluster);
        using var stopObserving = new CancellationTokenSource();
        var seen = Channel.CreateUnbounded<ElectionLeader?>();
        var observer = Task.Run(async () =>
        {
            try
            {
                await foreach (var leader in new GlobalZoneElection(watcher, name).ObserveAsync(stopObserving.Token))
                    await seen.Writer.WriteAsync(leader);
            }
            catch (OperationCanceledException) when (stopObserving.IsCancellationRequested)
            {
            }
        });
        Assert.Null(await NextAsync(seen));

        var first = await new GlobalZoneElection(a, name).CampaignAsync("candidate-a");
        Assert.Equal(("candidate-a", first.FencingToken), Describe(await NextNonNullAsync(seen)));
        var secondCampaign = new GlobalZoneElection(b, name).CampaignAsync("candidate-b");
        // B waits in the lock's queue while A leads.
        await Eventually.TrueAsync(async () => (await watcher.Locks.GetAsync(name)).WaiterCount == 1, Patience, "B queued");
        Assert.False(secondCampaign.IsCompleted, "B was elected while A led");

        await first.ProclaimAsync("candidate-a v2");
        Assert.Equal(("candidate-a v2", first.FencingToken), Describe(await NextNonNullAsync(seen)));

        var handOver = Stopwatch.StartNew();
        await first.ResignAsync();
        await using var second = await secondCampaign.WaitAsync(Patience);
        output.WriteLine($"hand-over took {handOver.ElapsedMilliseconds} ms");
        Assert.False(first.IsLost, "resigning is not losing");
        Assert.True(second.FencingToken > first.FencingToken, $"token {second.FencingToken} after {first.FencingToken}");
        Assert.Equal(("candidate-b", second.FencingToken), Describe(await NextNonNullAsync(seen)));
        Assert.Equal("candidate-b", (await new GlobalZoneElection(watcher, name).GetLeaderAsync())?.Candidate);

        // The ex-leader can no longer proclaim: its grant is not current.
        await Assert.ThrowsAsync<FencingTokenRejectedException>(() => first.ProclaimAsync("still me?"));

        await second.ResignAsync();
        Assert.Null(await NextAsync(seen));
        await stopObserving.CancelAsync();
        await observer;
    }

    [Fact]
    public async Task HostedWorkIsCancelledWhenItsLeaseIsRevokedAndTheServiceCampaignsAgain()
    {
        var name = "client-tests/hosted-" + Guid.NewGuid().ToString("N")[..8];
        var terms = Channel.CreateUnbounded<(long Token, long Lease)>();
        var cancelled = Channel.CreateUnbounded<long>();
        var services = new ServiceCollection();
        services.AddSingleton(_ => ClientClusters.Client(Cluster));
        services.AddGlobalZoneLeaderElection(name, async (_, leadership, ct) =>
        {
            await terms.Writer.WriteAsync((leadership.FencingToken, leadership.LeaseId), CancellationToken.None);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                await cancelled.Writer.WriteAsync(leadership.FencingToken, CancellationToken.None);
            }
        }, new LeaderElectionOptions { Candidate = "hosted", RecampaignDelay = TimeSpan.FromMilliseconds(100) });
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().Single();
        await hosted.StartAsync(CancellationToken.None);
        await using var admin = ClientClusters.Client(Cluster);
        try
        {
            var term1 = await terms.Reader.ReadAsync().AsTask().WaitAsync(Patience);
            Assert.Equal("hosted", (await new GlobalZoneElection(admin, name).GetLeaderAsync())?.Candidate);

            // Someone revokes the leader's lease: the work must stop before the lease's TTL (5 s) would have told it.
            var revoked = Stopwatch.StartNew();
            Assert.True(await admin.RevokeLeaseAsync(term1.Lease));
            Assert.Equal(term1.Token, await cancelled.Reader.ReadAsync().AsTask().WaitAsync(Patience));
            output.WriteLine($"work cancelled {revoked.ElapsedMilliseconds} ms after the revoke");
            Assert.True(revoked.Elapsed < TimeSpan.FromSeconds(5), $"work cancelled only {revoked.ElapsedMilliseconds} ms after its lease was revoked");

            var term2 = await terms.Reader.ReadAsync().AsTask().WaitAsync(Patience);
            Assert.True(term2.Token > term1.Token, $"term 2 token {term2.Token} after {term1.Token}");
        }
        finally
        {
            await hosted.StopAsync(CancellationToken.None);
        }

        // Stopping cancelled the work and resigned: the lock is free and no leader is named.
        Assert.True(cancelled.Reader.TryRead(out _), "the second term's work was not cancelled on stop");
        Assert.Null((await admin.Locks.GetAsync(name)).Holder);
        Assert.Null(await new GlobalZoneElection(admin, name).GetLeaderAsync());
    }

    private static (string, long) Describe(ElectionLeader leader) => (leader.Candidate, leader.FencingToken);

    private static async Task<ElectionLeader?> NextAsync(Channel<ElectionLeader?> seen)
        => await seen.Reader.ReadAsync().AsTask().WaitAsync(Patience);

    /// <summary>The next leader the observer names, skipping the "no leader" between two leaders.</summary>
    private static async Task<ElectionLeader> NextNonNullAsync(Channel<ElectionLeader?> seen)
    {
        while (true)
        {
            if (await NextAsync(seen) is { } leader)
                return leader;
        }
    }
}
