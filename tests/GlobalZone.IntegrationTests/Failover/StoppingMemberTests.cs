using GlobalZone.Client;
using GlobalZone.ClusterRunner;
using GlobalZone.IntegrationTests.Api;

namespace GlobalZone.IntegrationTests.Failover;

/// <summary>
/// A member that received SIGTERM turns clients away at once (503 <c>member-stopping</c>, <c>/readyz</c> "stopping")
/// while it still runs, and a client that lists it first rides on through another member without a failed call.
/// Before, a stopping member kept accepting requests it could no longer answer once its Raft member stopped: a
/// linearizable read sent there hung until the client's timeout (the 3 s read tail of <c>gz bench failover</c>'s
/// SIGTERM trials). TEST-ONLY <c>StopDelayMs</c> holds the member in that state long enough to look at it;
/// <c>ServeWhileStopping</c> brings the old behaviour back, and the same checks must then find it.
/// </summary>
public sealed class StoppingMemberTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int StopDelayMs = 6000;
    private TestCluster? cluster;

    public async Task InitializeAsync() => cluster = await SettledCluster.StartAsync("stopping", "2+1+0", output);

    public async Task DisposeAsync()
    {
        if (cluster is not null)
            await cluster.DisposeAsync();
    }

    [Fact]
    public async Task A_member_stopping_on_SIGTERM_sends_clients_elsewhere_at_once_and_a_client_sees_no_failed_call()
    {
        var leader = await cluster!.WaitForLeaderAsync();
        // A follower in the leader's site: restarting it moves no leadership.
        var member = cluster.Members.First(m => m.Id != leader.Id && !m.Spec.IsWitness && m.Spec.Site == leader.Spec.Site);
        var original = await File.ReadAllTextAsync(member.ConfigPath);

        // The old behaviour: the checks must catch it.
        var missed = await StopWhileCheckingAsync(member, original, serveWhileStopping: true, leader);
        output.WriteLine("with ServeWhileStopping: " + string.Join("; ", missed));
        Assert.NotEmpty(missed);

        var problems = await StopWhileCheckingAsync(member, original, serveWhileStopping: false, leader);
        Assert.True(problems.Count == 0, string.Join("; ", problems));
    }

    /// <summary>Restarts <paramref name="member"/> with the switches, sends it SIGTERM, and lists what a stopping member did wrong.</summary>
    private async Task<List<string>> StopWhileCheckingAsync(MemberProcess member, string originalConfig, bool serveWhileStopping, MemberProcess leader)
    {
        await member.StopAsync(TimeSpan.FromSeconds(20));
        var switches = $"\"Testing:StopDelayMs\": \"{StopDelayMs}\", \"Testing:ServeWhileStopping\": \"{(serveWhileStopping ? "true" : "false")}\",";
        await File.WriteAllTextAsync(member.ConfigPath, originalConfig.Replace("\"GlobalZone\": {", "\"GlobalZone\": { " + switches, StringComparison.Ordinal));
        member.Start();
        var http = cluster!.Client(member);
        var key = $"stopping/{(serveWhileStopping ? "old" : "new")}";
        Assert.Equal(200, (await ApiHttp.PutAsync(cluster.Client(leader), key, "1")).Code);
        await Eventually.TrueAsync(async () => (await ApiHttp.GetAsync(http, $"/v1/kv/{key}")).Code == 200,
            TimeSpan.FromSeconds(30), $"{member.Id} to serve again after its restart");

        var problems = new List<string>();
        var stopped = member.StopAsync(TimeSpan.FromSeconds(30)); // SIGTERM; the member stays up for StopDelayMs
        var ready = await Eventually.GetAsync(async () =>
        {
            var answer = await ApiHttp.GetAsync(http, "/readyz");
            return answer.Code == 503 ? answer : null;
        }, TimeSpan.FromSeconds(3), "/readyz to refuse after SIGTERM").ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null, TaskScheduler.Default);
        if (ready is null)
            problems.Add("/readyz kept answering ready after SIGTERM");
        else if (ready.Body.GetProperty("status").GetString() != "stopping")
            problems.Add($"/readyz said {ready.Text}");

        var read = await ApiHttp.GetAsync(http, $"/v1/kv/{key}");
        if (read.Code != 503 || read.MediaType != "application/problem+json" || read.Body.GetProperty("type").GetString()?.EndsWith("/member-stopping", StringComparison.Ordinal) != true)
            problems.Add($"a read sent to the stopping member got {read}");
        else if (read.Header("Retry-After") != "0")
            problems.Add($"member-stopping said Retry-After {read.Header("Retry-After")}");
        var status = await ApiHttp.GetAsync(http, "/v1/cluster");
        if (status.Code != 200)
            problems.Add($"the member's own status got {status}");

        // A client that knows the stopping member first: every call succeeds, through the other voters.
        var endpoints = new[] { member }.Concat(cluster.Members.Where(m => m.Id != member.Id && !m.Spec.IsWitness)).Select(m => m.Url).ToList();
        var answers = new AnswerLog(cluster.Cluster.CreateHandler()); // trusts the CA in the suite's security mode
        using (var client = new GlobalZoneClient(new GlobalZoneClientOptions { Endpoints = endpoints, Token = cluster.Credentials?.Token }, new HttpClient(answers)))
        {
            for (var i = 0; i < 10; i++)
            {
                await client.PutAsync($"{key}/client", i);
                Assert.Equal(i, await client.GetValueAsync<int>($"{key}/client"));
            }
        }

        var fromMember = answers.From(new Uri(member.Url));
        output.WriteLine($"{member.Id} answered the client: {string.Join(", ", fromMember)}");
        if (!serveWhileStopping && !fromMember.Contains(503))
            throw new InvalidOperationException($"the client never asked the stopping member ({string.Join(", ", fromMember)}): the check above proves nothing");

        // All of the above ran while the member was still up (else it proved nothing about a stopping member).
        Assert.True(member.IsRunning, $"{member.Id} stopped before the checks ended; StopDelayMs {StopDelayMs} is too short for this machine");
        await stopped;
        Assert.Equal(0, member.ExitCode);
        await File.WriteAllTextAsync(member.ConfigPath, originalConfig);
        member.Start();
        return problems;
    }
}

/// <summary>Notes which member gave which status, to show the client did meet the stopping member.</summary>
internal sealed class AnswerLog(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private readonly List<(string Authority, int Status)> answers = [];

    public List<int> From(Uri member)
    {
        lock (answers)
            return answers.Where(a => a.Authority == member.Authority).Select(a => a.Status).ToList();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        lock (answers)
            answers.Add((request.RequestUri!.Authority, (int)response.StatusCode));
        return response;
    }
}
