using GlobalZone.Consensus;
using GlobalZone.Contracts.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalZone.UnitTests;

/// <summary>The TEST-ONLY peer failpoints on requests shaped as DotNext's HTTP transport sends them.</summary>
public sealed class PeerFailpointsTests
{
    private static readonly NodeOptions Options = new()
    {
        MemberId = "a",
        Members =
        [
            new MemberOptions { Id = "a", Url = "http://127.0.0.11:7001", Site = "dc1", Role = "voter" },
            new MemberOptions { Id = "b", Url = "http://127.0.0.12:7002", Site = "dc1", Role = "voter" },
            new MemberOptions { Id = "c", Url = "http://127.0.0.13:7003", Site = "dc1", Role = "voter" },
        ],
    };

    private static HttpRequestMessage AppendEntries(string url, long commitIndex)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url + "/cluster-consensus/raft");
        request.Headers.Add(PeerFailpoints.MessageTypeHeader, PeerFailpoints.AppendEntriesMessageType);
        request.Headers.Add(PeerFailpoints.CommitIndexHeader, commitIndex.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return request;
    }

    private static string CommitIndexOf(HttpRequestMessage request) => Assert.Single(request.Headers.GetValues(PeerFailpoints.CommitIndexHeader));

    [Fact]
    public void HoldingTheCommitIndexCapsOnlyTheTargetsAppendEntries()
    {
        var failpoints = new PeerFailpoints(Options, NullLogger<PeerFailpoints>.Instance);
        failpoints.Arm(new PeerFailpointRequest { Member = "b", Action = PeerFailpointActions.HoldCommitIndex, CommitIndexCap = 5 });

        using var toB = AppendEntries("http://127.0.0.12:7002", 9);
        using var toC = AppendEntries("http://127.0.0.13:7003", 9);
        Assert.Null(failpoints.Intercept(toB));
        Assert.Null(failpoints.Intercept(toC));

        Assert.Equal("5", CommitIndexOf(toB));
        Assert.Equal("9", CommitIndexOf(toC));
        Assert.Equal(1, Assert.Single(failpoints.Current()).Rewritten);
    }

    [Fact]
    public void WithoutACapTheTargetKeepsWhatItWasLastTold()
    {
        var failpoints = new PeerFailpoints(Options, NullLogger<PeerFailpoints>.Instance);
        using (var before = AppendEntries("http://127.0.0.12:7002", 7))
            Assert.Null(failpoints.Intercept(before));

        var armed = failpoints.Arm(new PeerFailpointRequest { Member = "b", Action = PeerFailpointActions.HoldCommitIndex });
        Assert.Equal(7, armed.CommitIndexCap);
        using var after = AppendEntries("http://127.0.0.12:7002", 12);
        Assert.Null(failpoints.Intercept(after));
        Assert.Equal("7", CommitIndexOf(after));
    }

    [Fact]
    public void DropFailsEveryRequestToTheTargetUntilDisarmed()
    {
        var failpoints = new PeerFailpoints(Options, NullLogger<PeerFailpoints>.Instance);
        failpoints.Arm(new PeerFailpointRequest { Member = "c", Action = PeerFailpointActions.Drop });
        using var message = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.13:7003/internal/v1/propose-batch");
        Assert.IsType<HttpRequestException>(failpoints.Intercept(message));

        failpoints.Arm(new PeerFailpointRequest { Member = "c", Action = PeerFailpointActions.None });
        using var again = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.13:7003/internal/v1/propose-batch");
        Assert.Null(failpoints.Intercept(again));
        Assert.Empty(failpoints.Current());
    }

    [Theory]
    [InlineData("nobody", PeerFailpointActions.Drop)]
    [InlineData("b", "explode")]
    [InlineData("b", PeerFailpointActions.CrashAfterAcknowledgingEntries)]
    public void UnknownTargetsAndActionsAreRefused(string member, string action)
    {
        var failpoints = new PeerFailpoints(Options, NullLogger<PeerFailpoints>.Instance);
        Assert.Throws<ArgumentException>(() => failpoints.Arm(new PeerFailpointRequest { Member = member, Action = action }));
        Assert.False(failpoints.CrashAfterAcknowledgingEntries);
    }

    [Fact]
    public void CrashAfterAcknowledgingIsArmedOnlyOnTheMemberItself()
    {
        var failpoints = new PeerFailpoints(Options, NullLogger<PeerFailpoints>.Instance);
        failpoints.Arm(new PeerFailpointRequest { Member = "a", Action = PeerFailpointActions.CrashAfterAcknowledgingEntries });
        Assert.True(failpoints.CrashAfterAcknowledgingEntries);
        failpoints.DisarmAll();
        Assert.False(failpoints.CrashAfterAcknowledgingEntries);
    }
}
