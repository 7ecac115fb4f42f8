using System.Globalization;

namespace GlobalZone.IntegrationTests.Api;

/// <summary>
/// Stale reads answer from local state at once and say how old it may be; with maxStaleness a member cut off from
/// every leader refuses instead, while linearizable reads get a quick 503.
/// </summary>
public sealed class StaleReadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestCluster? cluster;

    public async Task InitializeAsync() => cluster = await SettledCluster.StartAsync("stale-reads", "2+1+0", output);

    public async Task DisposeAsync()
    {
        if (cluster is not null)
            await cluster.DisposeAsync();
    }

    [Fact]
    public async Task StaleReadsCarryTheirAgeAndRefuseBeyondMaxStaleness()
    {
        var leader = await cluster!.WaitForLeaderAsync();
        var follower = cluster.AnyFollowerOf(leader);
        var written = await ApiHttp.PutAsync(cluster.Client(leader), "stale/x", "1");
        await Eventually.TrueAsync(async () => (await ApiHttp.GetAsync(cluster.Client(follower), "/v1/kv/stale/x?consistency=stale")).Code == 200,
            TimeSpan.FromSeconds(5), "the follower to apply the write");

        var fresh = await ApiHttp.GetAsync(cluster.Client(follower), "/v1/kv/stale/x?consistency=stale&maxStaleness=5s");
        Assert.Equal(200, fresh.Code);
        Assert.True(long.Parse(fresh.Header("X-GZ-Revision")!, CultureInfo.InvariantCulture) >= written.Revision);
        Assert.True(long.Parse(fresh.Header("X-GZ-Leader-Contact-Age-Ms")!, CultureInfo.InvariantCulture) < 1000);
        Assert.Equal(leader.Url, fresh.Header("X-GZ-Leader"));

        // Cut the follower off from every possible leader: pause the two other members.
        var others = cluster.Members.Where(m => m.Id != follower.Id).ToList();
        foreach (var other in others)
            other.Pause();
        try
        {
            var refused = await Eventually.GetAsync(async () =>
            {
                var answer = await ApiHttp.GetAsync(cluster.Client(follower), "/v1/kv/stale/x?consistency=stale&maxStaleness=500ms");
                return answer.Code == 503 ? answer : null;
            }, TimeSpan.FromSeconds(10), "the follower to refuse a read older than maxStaleness");
            Assert.EndsWith("/too-stale", refused.Body.GetProperty("type").GetString());
            Assert.NotNull(refused.Header("Retry-After"));

            // Without a bound it still answers, and says how old its last contact is.
            var old = await ApiHttp.GetAsync(cluster.Client(follower), "/v1/kv/stale/x?consistency=stale");
            Assert.Equal(200, old.Code);
            Assert.Equal(1, old.Body.GetProperty("value").GetInt32());
            Assert.True(long.Parse(old.Header("X-GZ-Leader-Contact-Age-Ms")!, CultureInfo.InvariantCulture) >= 500);

            // A linearizable read cannot be served: a 503 soon, not a hang.
            var started = DateTime.UtcNow;
            var linearizable = await ApiHttp.GetAsync(cluster.Client(follower), "/v1/kv/stale/x");
            output.WriteLine($"linearizable read without a leader: {linearizable.Code} after {(DateTime.UtcNow - started).TotalMilliseconds:F0} ms");
            Assert.Equal(503, linearizable.Code);
        }
        finally
        {
            foreach (var other in others)
                other.Resume();
        }

        await Eventually.TrueAsync(async () => (await ApiHttp.GetAsync(cluster.Client(follower), "/v1/kv/stale/x?consistency=stale&maxStaleness=1s")).Code == 200,
            TimeSpan.FromSeconds(15), "reads within maxStaleness once the group is back");
    }
}
