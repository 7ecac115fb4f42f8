using System.Net.Http.Json;
using GlobalZone.Consensus;

namespace GlobalZone.IntegrationTests.Tracing;

/// <summary>
/// Members configured with an OTLP endpoint export their spans there: a write sent to a follower gives the request's
/// server span a proposal span as child, with the forward to the leader under that, and a linearizable read on a
/// follower a read-index span under its request.
/// </summary>
public sealed class ServerTracingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AWriteOnAFollowerExportsItsRequestSpanWithTheProposalAndForwardUnderIt()
    {
        await using var receiver = new OtlpReceiver();
        await using var cluster = await TestCluster.StartAsync("tracing", "2+1+0", output, configure: settings => settings with
        {
            Extra = new Dictionary<string, string>(settings.Extra)
            {
                ["Tracing:OtlpEndpoint"] = receiver.Url,
                ["Tracing:OtlpProtocol"] = "http/protobuf",
                ["Tracing:ExportDelayMs"] = "100",
            },
        });
        var leader = await cluster.WaitForLeaderAsync();
        var follower = cluster.AnyFollowerOf(leader);
        var http = cluster.Client(follower);

        using (var put = await http.PutAsync("/v1/kv/traced/key", JsonContent.Create(new { traced = true })))
            put.EnsureSuccessStatusCode();
        using (var get = await http.GetAsync("/v1/kv/traced/key"))
            get.EnsureSuccessStatusCode();

        var (request, propose) = await Eventually.GetAsync(() => Task.FromResult(FindChild(receiver, "PUT", "globalzone.propose")),
            TimeSpan.FromSeconds(30), "a PUT request span with a globalzone.propose child");
        output.WriteLine($"{request.Name} {request.SpanId} -> {propose.Name} {propose.SpanId} {string.Join(", ", propose.Attributes)}");
        Assert.Equal(ConsensusTracing.SourceName, propose.Scope);
        Assert.Equal("forwarded", propose.Attributes["globalzone.propose.path"]);
        Assert.Equal("TxnCommand", propose.Attributes["globalzone.command"]);

        var forward = await Eventually.GetAsync(() => Task.FromResult(receiver.Spans.FirstOrDefault(s => s.Name == "globalzone.forward" && s.ParentSpanId == propose.SpanId)),
            TimeSpan.FromSeconds(30), "a globalzone.forward span under the proposal");
        Assert.Equal(propose.TraceId, forward.TraceId);
        Assert.Equal(leader.Id, forward.Attributes["globalzone.leader"]);

        var (_, read) = await Eventually.GetAsync(() => Task.FromResult(FindChild(receiver, "GET", "globalzone.read_index")),
            TimeSpan.FromSeconds(30), "a GET request span with a globalzone.read_index child");
        Assert.Equal("leader", read.Attributes["globalzone.read_index.source"]);

        // Raft's own traffic (heartbeats and appends, many a second) is not traced.
        Assert.DoesNotContain(receiver.Spans, s => s.Attributes.TryGetValue("url.path", out var path) && path.StartsWith("/cluster-consensus", StringComparison.Ordinal));
    }

    private static SpanPair? FindChild(OtlpReceiver receiver, string method, string childName)
    {
        var spans = receiver.Spans.ToArray();
        foreach (var request in spans.Where(s => s.Scope == "Microsoft.AspNetCore" && s.Name.StartsWith(method + " ", StringComparison.Ordinal)))
        {
            if (spans.FirstOrDefault(s => s.Name == childName && s.ParentSpanId == request.SpanId && s.TraceId == request.TraceId) is { } child)
                return new SpanPair(request, child);
        }

        return null;
    }

    private sealed record SpanPair(ReceivedSpan Request, ReceivedSpan Child);
}
