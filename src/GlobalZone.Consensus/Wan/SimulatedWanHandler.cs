namespace GlobalZone.Consensus;

/// <summary>
/// Delays member-to-member requests by the round trip configured for the pair of sites (see
/// <see cref="WanLatencies"/>): half before the request leaves, half after its response arrives. It sits in the
/// <c>raftClient</c> pipeline, so Raft traffic and GlobalZone's own member messages (forwarded writes, read
/// indexes, progress probes) all pay it, and client traffic does not. It works on any kernel (no netem needed).
/// </summary>
internal sealed class SimulatedWanHandler(WanLatencies latencies) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var roundTrip = request.RequestUri is { } uri ? latencies.RoundTripTo(uri) : TimeSpan.Zero;
        if (roundTrip <= TimeSpan.Zero)
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);

        var oneWay = roundTrip / 2;
        // DotNext streams log entries into the request body as it is sent: without this, an entry appended while
        // the request waits here would ride along and arrive sooner than the delay says. Buffering first fixes
        // what the request carries at the moment it "leaves".
        if (request.Content is { } content)
            await content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        await AtLeastAsync(oneWay, cancellationToken).ConfigureAwait(false);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        try
        {
            await AtLeastAsync(roundTrip - oneWay, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }

        return response;
    }

    /// <summary>
    /// Waits <paramref name="delay"/>, less at most half a millisecond. Timers tick in whole milliseconds and may
    /// fire up to one early, which over two halves would make a simulated round trip measurably shorter than
    /// configured; a short second wait makes up for it.
    /// </summary>
    private static async Task AtLeastAsync(TimeSpan delay, CancellationToken token)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        TimeSpan remaining;
        while ((remaining = delay - System.Diagnostics.Stopwatch.GetElapsedTime(started)) > TimeSpan.FromMilliseconds(0.5))
            await Task.Delay(remaining, token).ConfigureAwait(false);
    }
}
