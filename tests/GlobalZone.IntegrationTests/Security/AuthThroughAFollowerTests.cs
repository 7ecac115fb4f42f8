using GlobalZone.IntegrationTests.Api;
using static GlobalZone.IntegrationTests.Security.AuthHttp;

namespace GlobalZone.IntegrationTests.Security;

/// <summary>
/// User and role changes sent to a follower answer with the state after the change, even when that follower applies
/// late: it forwards the change, and reads its own state for the answer only once it has applied it (found by the
/// secured suite: an added user answered 204 with no body from a follower under WAN latency).
/// </summary>
public sealed class AuthThroughAFollowerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_user_added_through_a_slow_follower_is_answered_with_the_user()
    {
        await using var cluster = await SettledCluster.StartAsync("auth-follower", "1+1+0", output, ownSecurity: true);
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.Members.First(m => m.Id != leader.Id && !m.Spec.IsWitness);
        // TEST-ONLY: the follower applies every entry 300 ms late, so it answers long before its own state has the user
        // unless it waits for its apply.
        await follower.RestartWithSettingAsync("Testing:ApplyDelayMs", "300");
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));

        var added = await Eventually.GetAsync(async () =>
        {
            var answer = await ApiHttp.SendAsync(cluster.Client(follower), "POST", "/v1/auth/users", Json(new { name = "slow-follower-user", password = "pw" }));
            return answer.Code == 503 ? null : answer; // the restarted follower may not know the leader for a moment
        }, TimeSpan.FromSeconds(30), "the follower to take the change");
        Assert.True(added.Code == 201, $"POST /v1/auth/users through {follower.Id}: {added}");
        Assert.Equal("slow-follower-user", added.Body.GetProperty("name").GetString());
    }
}
