using System.Net;
using GlobalZone.Client;
using GlobalZone.Client.Health;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace GlobalZone.ClientTests;

/// <summary>The health check against a scripted transport: members a (dc1), b (dc2) and the witness w (dc3).</summary>
public sealed class HealthCheckTests
{
    private static GlobalZoneClient Client(HttpMessageHandler transport) => new(
        new GlobalZoneClientOptions { Endpoints = ["http://a.test:7000"], RequestTimeout = TimeSpan.FromSeconds(2) },
        new HttpClient(transport) { Timeout = Timeout.InfiniteTimeSpan });

    private static Task<HttpResponseMessage> Answer(HttpRequestMessage request, string? leader, params string[] down)
    {
        var host = request.RequestUri!.Host.Split('.')[0];
        if (down.Contains(host))
            throw StubTransport.Refused();
        if (host == "w")
            return Task.FromResult(StubTransport.Problem(HttpStatusCode.MisdirectedRequest, "witness"));
        return Task.FromResult(StubTransport.Cluster(leader));
    }

    private static Task<HealthCheckResult> CheckAsync(GlobalZoneClient client)
        => new GlobalZoneHealthCheck(client).CheckHealthAsync(new HealthCheckContext
        {
            Registration = new HealthCheckRegistration("globalzone", _ => null!, HealthStatus.Unhealthy, null),
        });

    [Fact]
    public async Task EveryMemberAnsweringWithALeaderIsHealthyAndTheDiscoveredMembersWereAsked()
    {
        var transport = new StubTransport((request, _) => Answer(request, leader: "b"));
        await using var client = Client(transport);

        var result = await CheckAsync(client);

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("b", result.Data["leader"]);
        Assert.Equal(3, result.Data["members"]);
        Assert.Equal(3, result.Data["reachable"]);
        // Only a was a seed: b and the witness were learned from its answer and asked too.
        Assert.Contains(transport.Requests, r => r.Url.Host == "b.test");
        Assert.Contains(transport.Requests, r => r.Url.Host == "w.test");
    }

    [Fact]
    public async Task AnUnreachableMemberWithALeaderStillKnownIsDegradedAndNamed()
    {
        var transport = new StubTransport((request, _) => Answer(request, leader: "a", "b"));
        await using var client = Client(transport);

        var result = await CheckAsync(client);

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal("b", result.Data["unreachable"]);
        Assert.Equal(2, result.Data["reachable"]);
        Assert.Equal("a", result.Data["leader"]);
    }

    [Fact]
    public async Task MembersThatKnowNoLeaderAreUnhealthy()
    {
        var transport = new StubTransport((request, _) => Answer(request, leader: null));
        await using var client = Client(transport);

        var result = await CheckAsync(client);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.False(result.Data.ContainsKey("leader"));
        Assert.Equal(3, result.Data["reachable"]);
    }

    [Fact]
    public async Task NoMemberAnsweringIsUnhealthy()
    {
        var transport = new StubTransport((request, _) => Answer(request, leader: "a", "a", "b", "w"));
        await using var client = Client(transport);

        var result = await CheckAsync(client);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal(0, result.Data["reachable"]);
        Assert.Contains("No GlobalZone member answered", result.Description);
    }

    [Fact]
    public async Task AMemberThatDoesNotAnswerInTimeCountsAsUnreachable()
    {
        var answering = new StubTransport((request, _) => Answer(request, leader: "a"));
        await using var client = Client(new SilentMember("b.test", answering));

        var started = DateTime.UtcNow;
        var result = await new GlobalZoneHealthCheck(client, probeTimeout: TimeSpan.FromMilliseconds(200)).CheckHealthAsync(new HealthCheckContext
        {
            Registration = new HealthCheckRegistration("globalzone", _ => null!, HealthStatus.Unhealthy, null),
        });

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal("b", result.Data["unreachable"]);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "the probe timeout bounds the check");
    }

    /// <summary>A member that accepts the connection and never answers (until the request is cancelled).</summary>
    private sealed class SilentMember(string host, HttpMessageHandler others) : DelegatingHandler(others)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.Host == host)
                await Task.Delay(Timeout.Infinite, cancellationToken);
            return await base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task AddGlobalZoneRegistersTheCheckAgainstTheRegisteredClientWithTheGivenFailureStatus()
    {
        var services = new ServiceCollection();
        services.AddGlobalZoneClient(o => o.Endpoints = ["http://a.test:7000"]);
        services.AddHealthChecks().AddGlobalZone(failureStatus: HealthStatus.Degraded, tags: ["ready"]);
        await using var provider = services.BuildServiceProvider();

        var registration = Assert.Single(provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations);
        Assert.Equal("globalzone", registration.Name);
        Assert.Equal(HealthStatus.Degraded, registration.FailureStatus);
        Assert.Contains("ready", registration.Tags);
        Assert.IsType<GlobalZoneHealthCheck>(registration.Factory(provider));
    }
}
