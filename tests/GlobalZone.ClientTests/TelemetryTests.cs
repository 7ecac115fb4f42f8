using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using GlobalZone.Client;
using GlobalZone.Client.Diagnostics;

namespace GlobalZone.ClientTests;

/// <summary>
/// One activity per operation with the member that answered and its attempts; retries and failovers counted. Runs alone:
/// the activity source and the meter are process-wide, and other tests' clients would add to what it counts.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests
{
    [Fact]
    public async Task A_read_that_fails_over_to_another_member_is_one_activity_with_two_attempts_and_counts_a_failover()
    {
        var transport = new StubTransport((request, _) =>
        {
            if (request.RequestUri!.AbsolutePath == "/v1/cluster")
                return Task.FromResult(StubTransport.Cluster(leader: "a"));
            // Member a refuses connections; b answers.
            if (request.RequestUri.Host == "a.test")
                throw StubTransport.Refused();
            return Task.FromResult(StubTransport.Json(HttpStatusCode.OK,
                "{\"key\":\"k\",\"value\":1,\"createRevision\":5,\"modRevision\":5,\"version\":1}"));
        });
        await using var client = new GlobalZoneClient(new GlobalZoneClientOptions { Endpoints = ["http://a.test:7000", "http://b.test:7000"], InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(10) },
            new HttpClient(transport));
        await client.ListAsync("warm-up/", cancellationToken: CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);

        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == GlobalZoneClientTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (activities) activities.Add(activity); },
        };
        ActivitySource.AddActivityListener(listener);
        var counted = new Dictionary<string, long>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == GlobalZoneClientTelemetry.Name)
                    l.EnableMeasurementEvents(instrument);
            },
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, _, _) => { lock (counted) counted[instrument.Name] = counted.GetValueOrDefault(instrument.Name) + value; });
        meters.Start();

        // Reads go to members of the client's own site first (a, dc1): refused, so the read moves to b.
        var kv = await client.GetAsync("k", cancellationToken: CancellationToken.None);
        Assert.NotNull(kv);

        var read = Assert.Single(activities, a => a.DisplayName == "GlobalZone Read");
        Assert.Equal("http://b.test:7000/", read.GetTagItem("gz.member"));
        Assert.Equal(2, read.GetTagItem("gz.attempts"));
        Assert.Equal("200", read.GetTagItem("gz.outcome"));
        Assert.Equal(1, counted.GetValueOrDefault("globalzone.client.retries"));
        Assert.Equal(1, counted.GetValueOrDefault("globalzone.client.failovers"));
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "telemetry";
}
