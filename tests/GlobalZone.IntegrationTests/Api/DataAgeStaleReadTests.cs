using System.Globalization;

namespace GlobalZone.IntegrationTests.Api;

/// <summary>
/// <c>maxStaleness</c> bounds the age of the data, not only the time since the leader was last heard (issue 11): a
/// follower that hears the leader's heartbeats but applies slowly (TEST-ONLY <c>GlobalZone:Testing:ApplyDelayMs</c>)
/// refuses a stale read whose bound is smaller than its lag and serves one whose bound is larger.
/// </summary>
public sealed class DataAgeStaleReadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int ApplyDelayMs = 50;
    private const int Writes = 60;
    private TestCluster? cluster;

    public async Task InitializeAsync() => cluster = await SettledCluster.StartAsync("data-age", "2+1+0", output);

    public async Task DisposeAsync()
    {
        if (cluster is not null)
            await cluster.DisposeAsync();
    }

    [Fact]
    public async Task AFollowerWhoseApplyLagsRefusesABoundSmallerThanItsLagAndServesALargerOne()
    {
        var leader = await cluster!.WaitForLeaderAsync();
        // A follower outside the preferred site: restarting it moves no leadership.
        var slow = cluster.Members.First(m => m.Id != leader.Id && !m.Spec.IsWitness && m.Spec.Site != leader.Spec.Site);
        await slow.RestartWithSettingAsync("Testing:ApplyDelayMs", ApplyDelayMs.ToString(CultureInfo.InvariantCulture));

        var first = await ApiHttp.PutAsync(cluster.Client(leader), "age/k", "0");
        Assert.Equal(200, first.Code);
        await Eventually.TrueAsync(async () =>
        {
            var answer = await ApiHttp.GetAsync(cluster.Client(slow), "/v1/kv/age/k?consistency=stale&maxStaleness=1s");
            return answer.Code == 200 && long.Parse(answer.Header("X-GZ-Revision")!, CultureInfo.InvariantCulture) >= first.Revision;
        }, TimeSpan.FromSeconds(30), "the restarted follower to catch up and serve within 1 s");

        // Writes commit on the leader and the other voter at full speed; the slow follower applies each 50 ms late.
        ApiAnswer last = first;
        for (var i = 1; i <= Writes; i++)
        {
            last = await ApiHttp.PutAsync(cluster.Client(leader), "age/k", i.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(200, last.Code);
        }

        output.WriteLine($"wrote {Writes} revisions up to {last.Revision}; the slow follower needs ~{Writes * ApplyDelayMs} ms to apply them");

        // Its leader contact is fresh (heartbeats), but its data is not: a 300 ms bound is refused...
        var refused = await Eventually.GetAsync(async () =>
        {
            var answer = await ApiHttp.GetAsync(cluster.Client(slow), "/v1/kv/age/k?consistency=stale&maxStaleness=300ms");
            return answer.Code == 503 ? answer : null;
        }, TimeSpan.FromSeconds(3), "the lagging follower to refuse a read older than 300 ms");
        var contactMs = long.Parse(refused.Header("X-GZ-Leader-Contact-Age-Ms")!, CultureInfo.InvariantCulture);
        var dataAgeMs = long.Parse(refused.Header("X-GZ-Data-Age-Ms")!, CultureInfo.InvariantCulture);
        output.WriteLine($"refused: {refused.Text}; leader contact {contactMs} ms ago, data age {dataAgeMs} ms");
        Assert.EndsWith("/too-stale", refused.Body.GetProperty("type").GetString());
        Assert.NotNull(refused.Header("Retry-After"));
        Assert.True(contactMs < 300, $"leader contact {contactMs} ms: a check on contact alone would have served this read");
        Assert.True(dataAgeMs > 300, $"data age {dataAgeMs} ms");

        // ...while a bound larger than the lag is served, with data that is visibly behind the leader.
        var served = await ApiHttp.GetAsync(cluster.Client(slow), "/v1/kv/age/k?consistency=stale&maxStaleness=60s");
        Assert.Equal(200, served.Code);
        var servedRevision = long.Parse(served.Header("X-GZ-Revision")!, CultureInfo.InvariantCulture);
        output.WriteLine($"served with maxStaleness=60s at revision {servedRevision} (leader at {last.Revision}), data age {served.Header("X-GZ-Data-Age-Ms")} ms");
        Assert.True(servedRevision < last.Revision, $"the follower was expected to still lag: revision {servedRevision} of {last.Revision}");

        // Caught up, the small bound is served again, with the newest value.
        var fresh = await Eventually.GetAsync(async () =>
        {
            var answer = await ApiHttp.GetAsync(cluster.Client(slow), "/v1/kv/age/k?consistency=stale&maxStaleness=300ms");
            return answer.Code == 200 ? answer : null;
        }, TimeSpan.FromSeconds(30), "the follower to catch up and serve within 300 ms");
        Assert.Equal(Writes, fresh.Body.GetProperty("value").GetInt32());
    }
}
