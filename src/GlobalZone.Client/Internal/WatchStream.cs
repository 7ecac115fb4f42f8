using System.Globalization;
using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;
using GlobalZone.Contracts;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Client.Internal;

/// <summary>
/// One logical watch over many HTTP streams: reads <c>GET /v1/watch</c> (Server-Sent Events) from a member, and when
/// the stream breaks, goes quiet, or its member dies, reopens it on another member from the first revision not yet
/// delivered. Revisions arrive whole, in order, each exactly once; <c>progress</c> events move the resume point
/// past revisions that did not match, so a resumed watch does not rescan them.
/// </summary>
internal sealed partial class WatchStream : IAsyncDisposable
{
    private readonly GlobalZoneClient client;
    private readonly string filter;
    private readonly bool isPrefix;
    private readonly ILogger logger;
    private readonly int? maxUnavailableRounds;
    private HttpResponseMessage? response;
    // The open stream's events, read with streamCancel: cancelled by the idle timeout or the caller's token, either of
    // which leaves the stream unusable (a cancelled read aborts the HTTP response).
    private IAsyncEnumerator<SseItem<byte[]>>? events;
    private CancellationTokenSource? streamCancel;
    private Uri? member;

    public WatchStream(GlobalZoneClient client, string filter, bool isPrefix, long? fromRevision, ILogger logger, int? maxUnavailableRounds = null)
    {
        this.maxUnavailableRounds = maxUnavailableRounds;
        this.client = client;
        this.filter = filter;
        this.isPrefix = isPrefix;
        this.logger = logger;
        NextRevision = fromRevision;
    }

    /// <summary>The first revision not yet delivered (null until the first stream said where "now" is).</summary>
    public long? NextRevision { get; private set; }

    /// <summary>How many times the watch reopened its stream.</summary>
    public int Reconnects { get; private set; }

    /// <summary>
    /// The next revision with a matching change. Waits as long as it takes; only cancellation, a compacted history, or
    /// (when bounded) <c>maxUnavailableRounds</c> connects in a row reaching no member end it.
    /// </summary>
    /// <exception cref="WatchCompactedException">The revision to resume from is no longer in the history.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered for <c>maxUnavailableRounds</c> connects in a row.</exception>
    /// <exception cref="GlobalZoneException">The cluster refused the watch itself (a bad key).</exception>
    public async Task<WatchRevision> NextAsync(CancellationToken token)
    {
        var failures = 0;
        while (true)
        {
            token.ThrowIfCancellationRequested();
            if (events is null)
            {
                try
                {
                    await ConnectAsync(token).ConfigureAwait(false);
                    failures = 0;
                }
                catch (GlobalZoneUnavailableException e)
                {
                    // The retry budget of one connect ran out; a watch keeps trying until it is cancelled (or the caller's bound).
                    failures++;
                    if (failures >= maxUnavailableRounds)
                        throw;
                    LogStillUnavailable(filter, failures, e.Message);
                    await Task.Delay(Backoff.Delay(failures, client.Options.InitialBackoff, client.Options.MaxBackoff, Random.Shared), client.Time, token)
                        .ConfigureAwait(false);
                    continue;
                }
            }

            SseItem<byte[]>? read;
            try
            {
                read = await ReadEventAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // The read was cancelled mid-stream: the next call reopens from NextRevision.
                await DisconnectAsync().ConfigureAwait(false);
                throw;
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException or ObjectDisposedException)
            {
                LogStreamBroken(filter, member, NextRevision, e is OperationCanceledException ? "no data within the idle timeout" : e.Message);
                if (member is not null)
                    client.Executor.Topology.MarkUnreachable(member);
                await DisconnectAsync().ConfigureAwait(false);
                continue;
            }

            if (read is not { } received)
            {
                LogStreamBroken(filter, member, NextRevision, "the member ended the stream");
                await DisconnectAsync().ConfigureAwait(false);
                continue;
            }

            switch (received.EventType)
            {
                case "progress":
                {
                    var progress = JsonSerializer.Deserialize(received.Data, ContractsJsonContext.Default.WatchProgress);
                    if (progress is not null && (NextRevision is null || progress.Revision + 1 > NextRevision))
                        NextRevision = progress.Revision + 1;
                    break;
                }

                case "revision":
                {
                    var revision = JsonSerializer.Deserialize(received.Data, ContractsJsonContext.Default.WatchRevision);
                    if (revision is null || (NextRevision is { } next && revision.Revision < next))
                        break;
                    NextRevision = revision.Revision + 1;
                    return revision;
                }

                case "error":
                {
                    var problem = JsonSerializer.Deserialize(received.Data, ContractsJsonContext.Default.ProblemDetailsBody);
                    if (problem?.Type == ProblemTypes.RevisionCompacted && problem.OldestRevision is { } oldest && NextRevision is { } wanted && wanted < oldest)
                        throw new WatchCompactedException(problem, wanted, oldest);
                    // The member fell behind its own history (a snapshot install): another member, or later, can go on.
                    LogStreamBroken(filter, member, NextRevision, problem?.Detail ?? "error event");
                    await DisconnectAsync().ConfigureAwait(false);
                    break;
                }
            }
        }
    }

    private async Task ConnectAsync(CancellationToken token)
    {
        var path = "v1/watch" + KeyPath.Query(
            (isPrefix ? "prefix" : "key", filter),
            ("fromRevision", NextRevision is { } from ? from.ToString(CultureInfo.InvariantCulture) : null));
        var answer = await client.Executor.SendAsync(RequestKind.Read, m =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, new Uri(m, path));
            request.Headers.Accept.ParseAdd("text/event-stream");
            return request;
        }, token, streaming: true).ConfigureAwait(false);
        if (answer.StatusCode == HttpStatusCode.Gone)
        {
            using (answer)
            {
                var problem = await ProblemReader.ReadAsync(answer, token).ConfigureAwait(false);
                throw new WatchCompactedException(problem, NextRevision ?? 0, problem?.OldestRevision);
            }
        }

        if (!answer.IsSuccessStatusCode)
        {
            using (answer)
                throw await ProblemReader.ToExceptionAsync(answer, token).ConfigureAwait(false);
        }

        response = answer;
        member = answer.RequestMessage?.RequestUri is { } uri ? ClusterTopology.Normalize(uri) : null;
        var body = await answer.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
        streamCancel = new CancellationTokenSource();
        events = CreateParser(body).EnumerateAsync(streamCancel.Token).GetAsyncEnumerator(streamCancel.Token);
        if (Reconnects++ > 0)
            Diagnostics.GlobalZoneClientTelemetry.WatchReconnects.Add(1);
        if (Reconnects > 1 || NextRevision is not null)
            LogConnected(filter, member, NextRevision);
    }

    /// <summary>
    /// Server-Sent Events as <see cref="System.Net.ServerSentEvents"/> parses them (comments skipped, data lines joined),
    /// each event's data kept as its UTF-8 bytes for the JSON reader.
    /// </summary>
    internal static SseParser<byte[]> CreateParser(Stream body) => SseParser.Create(body, static (_, data) => data.ToArray());

    /// <summary>The next complete event; null at the end of the stream. A read that waits longer than the idle timeout is cancelled.</summary>
    private async Task<SseItem<byte[]>?> ReadEventAsync(CancellationToken token)
    {
        var cancel = streamCancel!;
        using var caller = token.Register(static state => ((CancellationTokenSource)state!).Cancel(), cancel);
        cancel.CancelAfter(client.Options.WatchIdleTimeout);
        try
        {
            return await events!.MoveNextAsync().ConfigureAwait(false) ? events.Current : null;
        }
        finally
        {
            // Stops the idle clock between reads (a no-op once cancelled).
            cancel.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }

    private async ValueTask DisconnectAsync()
    {
        var open = events;
        events = null;
        if (open is not null)
        {
            try
            {
                await open.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException or ObjectDisposedException)
            {
                // The stream is broken already; disposing only returns the parser's buffers.
            }
        }

        streamCancel?.Dispose();
        streamCancel = null;
        response?.Dispose();
        response = null;
    }

    public ValueTask DisposeAsync() => DisconnectAsync();

    [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Watch {Filter} broke on {Member} before revision {NextRevision}: {Reason}; resuming")]
    private partial void LogStreamBroken(string filter, Uri? member, long? nextRevision, string reason);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Debug, Message = "Watch {Filter} (re)opened on {Member} from revision {NextRevision}")]
    private partial void LogConnected(string filter, Uri? member, long? nextRevision);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Warning, Message = "Watch {Filter}: no member reachable ({Failures} rounds): {Reason}")]
    private partial void LogStillUnavailable(string filter, int failures, string reason);
}
