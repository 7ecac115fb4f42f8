using System.Diagnostics.Metrics;

namespace GlobalZone.Server.StatusPage;

/// <summary>
/// Counts the key reads and writes this member answers, for the status page's rates, from ASP.NET Core's own
/// <c>http.server.request.duration</c> measurements (by method and route template): no counting code in the endpoints,
/// and the same numbers <c>/metrics</c> exports.
/// </summary>
internal sealed class MemberRequestCounter : IDisposable
{
    private const string HostingMeter = "Microsoft.AspNetCore.Hosting";
    private const string RequestDuration = "http.server.request.duration";
    private const string KeyRoutePrefix = "/v1/kv/";
    private const string TxnRoute = "/v1/txn";

    private readonly MeterListener listener = new();
    private long reads;
    private long writes;

    public MemberRequestCounter()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == HostingMeter && instrument.Name == RequestDuration)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>(OnRequest);
        listener.Start();
    }

    /// <summary>Key reads answered so far.</summary>
    public long Reads => Interlocked.Read(ref reads);

    /// <summary>Key writes and transactions received so far.</summary>
    public long Writes => Interlocked.Read(ref writes);

    private void OnRequest(Instrument instrument, double measurement, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? method = null, route = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "http.request.method")
                method = tag.Value as string;
            else if (tag.Key == "http.route")
                route = tag.Value as string;
        }

        if (route is null || method is null)
            return;
        if (route.StartsWith(KeyRoutePrefix, StringComparison.Ordinal))
        {
            if (method == HttpMethods.Get)
                Interlocked.Increment(ref reads);
            else if (method == HttpMethods.Put || method == HttpMethods.Delete)
                Interlocked.Increment(ref writes);
        }
        else if (route == TxnRoute && method == HttpMethods.Post)
        {
            Interlocked.Increment(ref writes);
        }
    }

    public void Dispose() => listener.Dispose();
}
