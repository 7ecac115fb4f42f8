using System.Globalization;
using System.Text;
using System.Text.Json;
using GlobalZone.ClusterRunner;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Client;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>
/// Clients put unique values under <see cref="Prefix"/> while watchers (one per voter to begin with) follow the prefix
/// from revision 1 over Server-Sent Events, reconnecting to the next voter (resuming after the last revision they saw)
/// whenever a stream breaks or stalls. After healing, a final listing fixes the last revision, the watchers catch up
/// to it, and the watch checker compares what every watcher saw with each other and with the writes.
/// </summary>
/// <remarks>
/// History conventions: a put is a write whose output, when ok, is the revision it committed at; each delivered
/// revision is a read of key <see cref="EventKey"/> by the watcher's process (<see cref="WatcherProcessBase"/> + n)
/// whose output is the event's JSON; the final listing is a read of key <see cref="Prefix"/> whose output is a JSON
/// array of <c>[key, value, modRevision]</c>.
/// </remarks>
internal sealed class WatchWorkload(int keys) : IObservingWorkload, IDisposable
{
    public const string Prefix = "w/";
    public const string EventKey = "watch";
    public const int WatcherProcessBase = ProcessIds.Observers;

    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan CatchUpPatience = TimeSpan.FromSeconds(30);

    private HttpClient? streams;
    private readonly CancellationTokenSource stopWatchers = new();
    private readonly List<Watcher> watchers = [];
    private long nextValue;

    public string Name => "watch";

    public void StartObservers(IReadOnlyList<MemberSpec> voters, HistoryRecorder recorder, RunLog log, HttpMessageHandler transport, CancellationToken abort)
    {
        var streams = this.streams = new HttpClient(transport) { Timeout = Timeout.InfiniteTimeSpan };
        var stop = CancellationTokenSource.CreateLinkedTokenSource(abort, stopWatchers.Token).Token;
        for (var i = 0; i < voters.Count; i++)
        {
            var watcher = new Watcher(i, voters, recorder, log);
            watchers.Add(watcher);
            watcher.Task = Task.Run(() => watcher.RunAsync(streams, stop), CancellationToken.None);
        }
    }

    public async Task<OperationStatus> InvokeAsync(ClientContext client, CancellationToken abort)
    {
        var key = Prefix + "k" + client.Random.Next(keys).ToString(CultureInfo.InvariantCulture);
        var value = Interlocked.Increment(ref nextValue).ToString(CultureInfo.InvariantCulture);
        var member = client.Target(CallPurpose.Update);
        var pending = client.Recorder.Invoke(client.Process, OperationKind.Write, key, value);
        var put = await client.Http.PutAsync(member, key, value, ifMatchRevision: null, abort).ConfigureAwait(false);
        client.Observe(CallPurpose.Update, put);
        if (put.Outcome == CallOutcome.Ok)
        {
            using var answer = JsonDocument.Parse(put.Body ?? "{}");
            var revision = answer.RootElement.TryGetProperty("revision", out var r) ? r.GetInt64().ToString(CultureInfo.InvariantCulture) : null;
            client.Recorder.Complete(pending, OperationStatus.Ok, revision);
            return OperationStatus.Ok;
        }

        var status = put.Outcome.IsDefinite() ? OperationStatus.Fail : OperationStatus.Info;
        client.Recorder.Complete(pending, status, error: $"{member.Id} {put.ErrorText}");
        return status;
    }

    /// <summary>Lists the prefix (fixing the last revision), waits for every watcher to reach it, then stops them.</summary>
    public async Task FinalReadsAsync(FinalReadContext context, CancellationToken token)
    {
        var last = await ListAsync(context, token).ConfigureAwait(false);
        if (last is { } target)
        {
            var deadline = DateTime.UtcNow + CatchUpPatience;
            while (watchers.Any(w => w.Reached < target) && DateTime.UtcNow < deadline && !token.IsCancellationRequested)
                await Task.Delay(TimeSpan.FromMilliseconds(100), token).ConfigureAwait(false);
            foreach (var watcher in watchers.Where(w => w.Reached < target))
                context.Log.Info($"watcher {watcher.Index} reached only revision {watcher.Reached} of {target}");
        }

        await stopWatchers.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(watchers.Select(w => w.Task)).ConfigureAwait(false);
    }

    // The final listing, recorded; returns the highest modRevision under the prefix (0 when empty), null when it failed.
    private static async Task<long?> ListAsync(FinalReadContext context, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + context.Patience;
        for (var attempt = 0; !token.IsCancellationRequested; attempt++)
        {
            var member = context.Voters[attempt % context.Voters.Count];
            var pending = context.Recorder.Invoke(context.Process, OperationKind.Read, Prefix);
            var page = await context.Http.ListAsync(member, Prefix, after: null, limit: 10_000, token).ConfigureAwait(false);
            if (page.Call.Outcome == CallOutcome.Ok)
            {
                var listing = new StringBuilder("[");
                listing.AppendJoin(",", page.Entries.Select(e => $"[{JsonSerializer.Serialize(e.Key)},{e.Value},{e.ModRevision.ToString(CultureInfo.InvariantCulture)}]"));
                context.Recorder.Complete(pending, OperationStatus.Ok, listing.Append(']').ToString());
                return page.Entries.Count == 0 ? 0 : page.Entries.Max(e => e.ModRevision);
            }

            context.Recorder.Complete(pending, page.Call.Outcome.IsDefinite() ? OperationStatus.Fail : OperationStatus.Info, error: $"{member.Id} {page.Call.ErrorText}");
            if (DateTime.UtcNow >= deadline)
                return null;
            await Task.Delay(TimeSpan.FromMilliseconds(200), token).ConfigureAwait(false);
        }

        return null;
    }

    public void Dispose()
    {
        stopWatchers.Cancel();
        stopWatchers.Dispose();
        streams?.Dispose();
    }

    /// <summary>One watcher: follows the prefix from revision 1, moving to the next voter when its stream breaks or stalls.</summary>
    private sealed class Watcher(int index, IReadOnlyList<MemberSpec> voters, HistoryRecorder recorder, RunLog log)
    {
        private long lastRevision;
        private long reached;

        public int Index { get; } = index;

        public Task Task { get; set; } = Task.CompletedTask;

        /// <summary>How far this watcher has seen: the last revision delivered or reported as progress.</summary>
        public long Reached => Interlocked.Read(ref reached);

        public async Task RunAsync(HttpClient http, CancellationToken stop)
        {
            var member = Index;
            while (!stop.IsCancellationRequested)
            {
                var target = voters[member % voters.Count];
                string why;
                try
                {
                    why = await SseWatch.ReadAsync(http, target, Prefix, lastRevision + 1, IdleTimeout, OnEvent, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }

                if (stop.IsCancellationRequested)
                    return;
                log.Info($"watcher {Index}: {why}; resuming after revision {lastRevision} on the next member");
                member++;
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200), stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        private void OnEvent(SseEvent e)
        {
            switch (e.Name)
            {
                case "revision" when e.Id is { } revision:
                    var pending = recorder.Invoke(WatcherProcessBase + Index, OperationKind.Read, EventKey);
                    recorder.Complete(pending, OperationStatus.Ok, e.Data);
                    lastRevision = Math.Max(lastRevision, revision);
                    Interlocked.Exchange(ref reached, Math.Max(Reached, revision));
                    break;
                case "progress":
                    try
                    {
                        using var progress = JsonDocument.Parse(e.Data);
                        var revisionSeen = progress.RootElement.GetProperty("revision").GetInt64();
                        Interlocked.Exchange(ref reached, Math.Max(Reached, revisionSeen));
                    }
                    catch (Exception error) when (error is JsonException or KeyNotFoundException or InvalidOperationException)
                    {
                        log.Info($"watcher {Index}: unreadable progress event: {e.Data}");
                    }

                    break;
                case "revision":
                    // A revision event without an id: recorded all the same, for the checker to judge.
                    var unnumbered = recorder.Invoke(WatcherProcessBase + Index, OperationKind.Read, EventKey);
                    recorder.Complete(unnumbered, OperationStatus.Ok, e.Data);
                    break;
            }
        }
    }
}
