using System.Diagnostics;
using GlobalZone.ClusterRunner;
using GlobalZone.Consensus;

namespace GlobalZone.IntegrationTests.Witness;

/// <summary>
/// The simulated WAN: the spec the local cluster command takes, the server's per-site-pair table, and on real
/// processes that member-to-member traffic really pays the round trip (a commit needs a follower's answer).
/// </summary>
public sealed class SimulatedWanTests(ITestOutputHelper output)
{
    [Fact]
    public void SpecParsesPresetAndPairsAndRejectsNonsense()
    {
        Assert.Equal(3, SimulatedWan.Parse("global").Count);
        Assert.Equal(30, SimulatedWan.Parse("")["dc1-dc3"]);
        var custom = SimulatedWan.Parse("dc1-dc2=2, dc2-dc3=80.5");
        Assert.Equal(2, custom["dc1-dc2"]);
        Assert.Equal(80.5, custom["dc2-dc3"]);
        Assert.Throws<FormatException>(() => SimulatedWan.Parse("dc1dc2=5"));
        Assert.Throws<FormatException>(() => SimulatedWan.Parse("dc1-dc2=-1"));
        Assert.Throws<FormatException>(() => SimulatedWan.Parse("dc1-dc2=fast"));

        var settings = new ClusterSettings { RootDirectory = "unused" }.WithWan("dc1-dc2=5");
        Assert.Equal("5", settings.Extra["Wan:dc1-dc2"]);
    }

    [Fact]
    public void ServerTableIsKeyedByTheDestinationsSiteInEitherOrder()
    {
        var options = Options("dc1-a", new() { ["dc3-dc1"] = 30, ["dc1-dc2"] = 5 });
        var table = WanLatencies.From(options);
        Assert.Equal(TimeSpan.FromMilliseconds(5), table.RoundTripTo(new Uri("http://127.0.0.2:7102/cluster-consensus/raft")));
        Assert.Equal(TimeSpan.FromMilliseconds(30), table.RoundTripTo(new Uri("http://127.0.0.3:7103/")));
        Assert.Equal(TimeSpan.Zero, table.RoundTripTo(new Uri("http://127.0.0.9:7109/")));
        Assert.True(WanLatencies.From(Options("dc1-a", new())).IsEmpty);

        Assert.Throws<ArgumentException>(() => Options("dc1-a", new() { ["dc1-dc9"] = 5 }).Validate());
        Assert.Throws<ArgumentException>(() => Options("dc1-a", new() { ["dc1-dc2"] = -5 }).Validate());
    }

    [Fact]
    public async Task CommitsPayTheConfiguredRoundTrip()
    {
        const int roundTripMs = 40;
        await using var cluster = await TestCluster.StartAsync("wan-delay", "1+1+1", output,
            configure: s => s.WithWan($"dc1-dc2={roundTripMs},dc1-dc3={roundTripMs},dc2-dc3={roundTripMs}"));
        var leader = await cluster.WaitForVoterLeaderAsync(TimeSpan.FromSeconds(20));
        var writes = new AcknowledgedWrites("wan/");
        var latencies = new List<double>();
        for (var i = 0; i < 15; i++)
        {
            var clock = Stopwatch.StartNew();
            Assert.True(await writes.TryWriteAsync(cluster.Client(leader), TimeSpan.FromSeconds(5)));
            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }

        latencies.Sort();
        var median = latencies[latencies.Count / 2];
        output.WriteLine($"write through the leader {leader.Id}: min {latencies[0]:F1} ms, median {median:F1} ms with a {roundTripMs} ms round trip to every other site");
        // Every other member is in another site, so no commit can come back sooner than one round trip (less the
        // timer's millisecond granularity on each of the two halves).
        Assert.True(latencies[0] >= roundTripMs - 4, $"fastest write took {latencies[0]:F1} ms, less than the {roundTripMs} ms round trip");
    }

    private static NodeOptions Options(string self, Dictionary<string, double> wan) => new()
    {
        MemberId = self,
        Members =
        [
            new MemberOptions { Id = "dc1-a", Url = "http://127.0.0.1:7101", Site = "dc1" },
            new MemberOptions { Id = "dc2-a", Url = "http://127.0.0.2:7102", Site = "dc2" },
            new MemberOptions { Id = "dc3-w", Url = "http://127.0.0.3:7103", Site = "dc3", Role = MemberRoles.Witness },
        ],
        Wan = wan,
    };
}
