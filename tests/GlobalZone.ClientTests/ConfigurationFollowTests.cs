using System.Net;
using System.Text;
using GlobalZone.Client;
using GlobalZone.Client.Configuration;

namespace GlobalZone.ClientTests;

/// <summary>The configuration provider keeps following changes after a watch fails for a reason other than unavailability.</summary>
public sealed class ConfigurationFollowTests
{
    [Fact]
    public async Task A_watch_that_fails_with_a_500_is_started_again_from_the_next_revision()
    {
        var watchQueries = new List<string>();
        var transport = new StubTransport((request, _) =>
        {
            var path = request.RequestUri!.AbsolutePath;
            if (path == "/v1/cluster")
                return Task.FromResult(StubTransport.Cluster(leader: "a"));
            if (path.StartsWith("/v1/kv/", StringComparison.Ordinal))
                return Task.FromResult(StubTransport.Json(HttpStatusCode.OK, "{\"revision\":10,\"kvs\":[" + Kv("app/color", "\"red\"", 10) + "]}"));
            lock (watchQueries)
            {
                watchQueries.Add(request.RequestUri.Query);
                return Task.FromResult(watchQueries.Count switch
                {
                    // One member's internal error: not "unavailable", so the watch itself gives up and throws.
                    1 => StubTransport.Problem(HttpStatusCode.InternalServerError, "https://globalzone.dev/problems/internal"),
                    _ => Stream("id: 11\nevent: revision\ndata: {\"revision\":11,\"events\":[{\"type\":\"put\",\"kv\":" + Kv("app/color", "\"blue\"", 11) + "}]}\n\n"),
                });
            }
        });
        await using var client = new GlobalZoneClient(new GlobalZoneClientOptions { Endpoints = ["http://a.test:7000"], InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(10) },
            new HttpClient(transport));
        using var provider = new GlobalZoneConfigurationProvider(new GlobalZoneConfigurationOptions { Prefix = "app/", Client = client });
        provider.Load();
        Assert.True(provider.TryGet("color", out var first));
        Assert.Equal("red", first);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!(provider.TryGet("color", out var now) && now == "blue"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the provider did not follow the change after the failed watch");
            await Task.Delay(20);
        }

        Assert.Equal(11, provider.Revision);
        lock (watchQueries)
        {
            // From the revision after the one loaded, and again from there after the failure.
            Assert.Equal("?prefix=app%2F&fromRevision=11", watchQueries[0]);
            Assert.Equal("?prefix=app%2F&fromRevision=11", watchQueries[1]);
        }
    }

    private static string Kv(string key, string value, long revision)
        => $"{{\"key\":\"{key}\",\"value\":{value},\"createRevision\":10,\"modRevision\":{revision},\"version\":1}}";

    private static HttpResponseMessage Stream(string body) => new(HttpStatusCode.OK)
    {
        Content = new StringContent(body, Encoding.UTF8, "text/event-stream"),
    };
}
