using System.Diagnostics;
using System.Text;
using GlobalZone.ClusterRunner;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Client;

namespace GlobalZone.Jepsen.Traffic.BigValues;

/// <summary>
/// The <c>--big-values</c> background writers: each keeps writing raw values between half the value limit and the
/// limit into its own few keys, and every few writes a transaction of 128 puts whose values add up to about the limit,
/// recording each write in the run's history like any client call (ok / fail / unknown). Writes carry their key and
/// write number in their bytes (<see cref="BigValueContent"/>) so the final reads can tell which write a key holds.
/// </summary>
internal static class BigValueWriters
{
    public static async Task<TrafficStats> RunAsync(IReadOnlyList<MemberSpec> voters, GzHttpClient http, HistoryRecorder recorder, BigValueSettings settings, int seed,
        CancellationToken stopIssuing, CancellationToken abort, RunLog log)
    {
        var stats = new TrafficStats();
        await Task.WhenAll(Enumerable.Range(0, settings.Writers).Select(writer => Task.Run(
            () => WriterLoopAsync(writer, new StickyRoute(voters, writer), http, recorder, settings, new Random(seed * 97 + writer), stats, stopIssuing, abort, log),
            CancellationToken.None))).ConfigureAwait(false);
        return stats;
    }

    private static async Task WriterLoopAsync(int writer, StickyRoute route, GzHttpClient http, HistoryRecorder recorder, BigValueSettings settings, Random random,
        TrafficStats stats, CancellationToken stopIssuing, CancellationToken abort, RunLog log)
    {
        var process = ProcessIds.BigValueWriters + writer;
        var pace = TimeSpan.FromSeconds(1 / settings.WritesPerSecond);
        var group = BigValueKeys.TransactionGroup(writer);
        long sequence = 0;
        var rawWrites = 0;
        while (!stopIssuing.IsCancellationRequested && !abort.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            sequence++;
            var member = route.Current(CallPurpose.Update);
            CallResult call;
            if (sequence % settings.TransactionEvery == 0)
            {
                var write = new BigWrite(sequence, settings.TransactionValueBytes, settings.TransactionKeys);
                var body = TransactionBody(group, write);
                var pending = recorder.Invoke(process, OperationKind.Write, group, write.ToString());
                call = await http.PostAsync(member, "/v1/txn", body, abort).ConfigureAwait(false);
                Complete(recorder, pending, call, member);
            }
            else
            {
                var key = BigValueKeys.Raw(writer, rawWrites++ % settings.RawKeysPerWriter);
                var write = new BigWrite(sequence, random.Next(settings.MaxValueBytes / 2, settings.MaxValueBytes + 1), null);
                var value = BigValueContent.Create(key, write.Sequence, write.Length);
                var pending = recorder.Invoke(process, OperationKind.Write, key, write.ToString());
                call = await http.PutRawAsync(member, key, value, abort).ConfigureAwait(false);
                Complete(recorder, pending, call, member);
            }

            var status = Status(call);
            stats.Count(status);
            if (call.Outcome.CallsForFailover())
                route.FailOver(CallPurpose.Update);
            if (status == OperationStatus.Info)
            {
                // An unknown write may still take effect later: go on as a new process (Jepsen's rule).
                process += settings.Writers;
            }

            if (call.Outcome == CallOutcome.Rejected)
                log.Info($"big-values writer {writer}: write {sequence} refused: {call.ErrorText}");
            var wait = pace - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, stopIssuing).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    // {"success":[{"op":"put","key":"big/0/txn/000","value":"gz-big ..."}, ...]}: the values are JSON strings; their
    // text needs no escaping (see BigValueContent).
    internal static string TransactionBody(string group, BigWrite write)
    {
        var body = new StringBuilder((int)write.TotalBytes + 64 * (write.TransactionKeys ?? 1));
        body.Append("{\"success\":[");
        for (var i = 0; i < write.TransactionKeys; i++)
        {
            var key = BigValueKeys.InGroup(group, i);
            if (i > 0)
                body.Append(',');
            body.Append("{\"op\":\"put\",\"key\":\"").Append(key).Append("\",\"value\":\"")
                .Append(Encoding.ASCII.GetString(BigValueContent.Create(key, write.Sequence, write.Length))).Append("\"}");
        }

        return body.Append("]}").ToString();
    }

    private static OperationStatus Status(CallResult call)
        => call.Outcome == CallOutcome.Ok ? OperationStatus.Ok : call.Outcome.IsDefinite() ? OperationStatus.Fail : OperationStatus.Info;

    private static void Complete(HistoryRecorder recorder, PendingOperation pending, CallResult call, MemberSpec member)
    {
        var status = Status(call);
        recorder.Complete(pending, status, error: status == OperationStatus.Ok ? null : $"{member.Id} {call.ErrorText}");
    }
}
