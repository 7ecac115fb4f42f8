using System.Globalization;
using System.Net;
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
    private HttpResponseMessage? response;
    private StreamReader? reader;
    private SseParser parser = new();
    private Uri? member;

    public WatchStream(GlobalZoneClient client, string filter, bool isPrefix, long? fromRevision, ILogger logger)
    {
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

    /// <summary>The next revision with a matching change. Waits as long as it takes; only cancellation or a compacted history end it.</summary>
    /// <exception cref="WatchCompactedException">The revision to resume from is no longer in the history.</exception>
    /// <exception cref="GlobalZoneException">The cluster refused the watch itself (a bad key).</exception>
    public async Task<WatchRevision> NextAsync(CancellationToken token)
    {
        var failures = 0;
        while (true)
        {
            token.ThrowIfCancellationRequested();
            if (reader is null)
            {
                try
                {
                    await ConnectAsync(token).ConfigureAwait(false);
                    failures = 0;
                }
                catch (GlobalZoneUnavailableException e)
                {
                    // The retry budget of one connect ran out; a watch keeps trying until it is cancelled.
                    failures++;
                    LogStillUnavailable(filter, failures, e.Message);
                    await Task.Delay(Backoff.Delay(failures, client.Options.InitialBackoff, client.Options.MaxBackoff, Random.Shared), client.Time, token)
                        .ConfigureAwait(false);
                    continue;
                }
            }

            SseEvent? received;
            try
            {
                received = await ReadEventAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException or ObjectDisposedException)
            {
                LogStreamBroken(filter, member, NextRevision, e is OperationCanceledException ? "no data within the idle timeout" : e.Message);
                if (member is not null)
                    client.Executor.Topology.MarkUnreachable(member);
                Disconnect();
                continue;
            }

            if (received is null)
            {
                LogStreamBroken(filter, member, NextRevision, "the member ended the stream");
                Disconnect();
                continue;
            }

            switch (received.Name)
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
                    Disconnect();
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
        reader = new StreamReader(await answer.Content.ReadAsStreamAsync(token).ConfigureAwait(false));
        parser = new SseParser();
        if (Reconnects++ > 0)
            Diagnostics.GlobalZoneClientTelemetry.WatchReconnects.Add(1);
        if (Reconnects > 1 || NextRevision is not null)
            LogConnected(filter, member, NextRevision);
    }

    /// <summary>The next complete event; null at the end of the stream. A read that waits longer than the idle timeout is cancelled.</summary>
    private async Task<SseEvent?> ReadEventAsync(CancellationToken token)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
        while (true)
        {
            idle.CancelAfter(client.Options.WatchIdleTimeout);
            var line = await reader!.ReadLineAsync(idle.Token).ConfigureAwait(false);
            if (line is null)
                return null;
            if (parser.Feed(line) is { } complete)
                return complete;
        }
    }

    private void Disconnect()
    {
        reader?.Dispose();
        response?.Dispose();
        reader = null;
        response = null;
    }

    public ValueTask DisposeAsync()
    {
        Disconnect();
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Watch {Filter} broke on {Member} before revision {NextRevision}: {Reason}; resuming")]
    private partial void LogStreamBroken(string filter, Uri? member, long? nextRevision, string reason);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Debug, Message = "Watch {Filter} (re)opened on {Member} from revision {NextRevision}")]
    private partial void LogConnected(string filter, Uri? member, long? nextRevision);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Warning, Message = "Watch {Filter}: no member reachable ({Failures} rounds): {Reason}")]
    private partial void LogStillUnavailable(string filter, int failures, string reason);
}
