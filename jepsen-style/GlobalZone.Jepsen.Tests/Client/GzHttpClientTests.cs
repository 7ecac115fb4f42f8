using System.Net;
using System.Net.Sockets;
using GlobalZone.ClusterRunner;
using GlobalZone.Jepsen.Client;

namespace GlobalZone.Jepsen.Tests.Client;

public sealed class GzHttpClientTests
{
    [Theory]
    [InlineData(200, "Ok", true)]
    [InlineData(404, "NotFound", true)]
    [InlineData(412, "PreconditionFailed", true)]
    [InlineData(421, "Misdirected", true)]
    [InlineData(400, "Rejected", true)]
    [InlineData(503, "NoLeader", true)]
    [InlineData(504, "OutcomeUnknown", false)]
    [InlineData(500, "ServerError", false)]
    public void StatusCodesMapToOutcomesThatSayWhetherAnythingHappened(int status, string expected, bool definite)
    {
        var outcome = Enum.Parse<CallOutcome>(expected);
        var call = GzHttpClient.Classify((HttpStatusCode)status, """{"type":"x","title":"t","status":0,"detail":"why"}""");
        Assert.Equal(outcome, call.Outcome);
        Assert.Equal(definite, call.Outcome.IsDefinite());
        if (status >= 400 && status != 404)
            Assert.Contains("why", call.ErrorText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NobodyListeningIsRefusedTheRequestWasNeverSent()
    {
        var port = ClusterLayout.FreePort();
        using var client = new GzHttpClient(TimeSpan.FromSeconds(5));
        var put = await client.PutAsync(new MemberSpec("m", "dc1", "voter", port), "k", "1", null, CancellationToken.None);
        Assert.Equal(CallOutcome.Refused, put.Outcome);
        Assert.True(put.Outcome.IsDefinite());
        Assert.True(put.Outcome.CallsForFailover());
    }

    [Fact]
    public async Task AMemberThatAcceptsButNeverAnswersTimesOutIndeterminately()
    {
        // Like a paused (SIGSTOPped) member: the kernel accepts the connection, nobody answers.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var client = new GzHttpClient(TimeSpan.FromMilliseconds(300));
        var put = await client.PutAsync(new MemberSpec("m", "dc1", "voter", port), "k", "1", null, CancellationToken.None);
        Assert.Equal(CallOutcome.TimedOut, put.Outcome);
        Assert.False(put.Outcome.IsDefinite());
    }

    [Fact]
    public void ClientsFailOverOnlyWhenTheMemberLooksUnusable()
    {
        Assert.False(CallOutcome.PreconditionFailed.CallsForFailover());
        Assert.False(CallOutcome.NotFound.CallsForFailover());
        Assert.True(CallOutcome.NoLeader.CallsForFailover());
        Assert.True(CallOutcome.TimedOut.CallsForFailover());
    }

    [Fact]
    public void SplitRouteKeepsReadsOnTheChosenMemberWhateverHappens()
    {
        var members = ClusterLayout.Parse("2+2+1", 7000).Members;
        var route = new SplitRoute(members[0], new StickyRoute([members[1], members[2]], 0));
        route.FailOver(CallPurpose.Read);
        route.FailOver(CallPurpose.Update);
        Assert.Equal(members[0], route.Current(CallPurpose.Read));
        Assert.Equal(members[2], route.Current(CallPurpose.Update));
    }
}
