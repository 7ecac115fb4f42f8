using GlobalZone.ClusterRunner;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Client;

namespace GlobalZone.Jepsen.Traffic.BigValues;

/// <summary>
/// After healing: every key a big-value write touched is read raw (linearizable) from every voter, so each voter's own
/// copy is inspected, not only the leader's. Each read is recorded with what it found (<see cref="BigValueObservation"/>,
/// no output for an absent key); the voters are read at once, each by its own process, keys one after another.
/// </summary>
internal static class BigValueFinalReads
{
    public static async Task ReadAllAsync(FinalReadContext context, GzHttpClient http, CancellationToken token)
    {
        var keys = context.Recorder.Snapshot()
            .Where(o => o.Kind == OperationKind.Write && BigValueKeys.Owns(o.Key) && BigWrite.Parse(o.Input) is not null)
            .SelectMany(o => BigValueKeys.Written(o.Key, BigWrite.Parse(o.Input)!))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        var voters = context.Voters;
        var unread = await Task.WhenAll(voters.Select((voter, i) => ReadFromAsync(context, http, voter, ProcessIds.BigValueFinalReads + i, keys, token))).ConfigureAwait(false);
        context.Log.Info($"big-values final reads: {keys.Count} keys on {voters.Count} voters"
            + (unread.Sum() > 0 ? $", {unread.Sum()} reads never succeeded ({string.Join(", ", voters.Zip(unread).Where(p => p.Second > 0).Select(p => $"{p.First.Id}: {p.Second}"))})" : ""));
    }

    // Reads every key from one voter; a voter that keeps failing has the final-read patience in all, not per key.
    // Returns how many keys it never answered.
    private static async Task<int> ReadFromAsync(FinalReadContext context, GzHttpClient http, MemberSpec voter, int process, IReadOnlyList<string> keys, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + context.Patience;
        var unread = 0;
        foreach (var key in keys)
        {
            while (true)
            {
                token.ThrowIfCancellationRequested();
                var pending = context.Recorder.Invoke(process, OperationKind.Read, key);
                var read = await http.ReadRawAsync(voter, key, token).ConfigureAwait(false);
                if (read.Succeeded)
                {
                    var output = read.Value is { } bytes ? BigValueContent.Inspect(key, bytes, read.IsJson).ToString() : null;
                    context.Recorder.Complete(pending, OperationStatus.Ok, output);
                    break;
                }

                context.Recorder.Complete(pending, read.Call.Outcome.IsDefinite() ? OperationStatus.Fail : OperationStatus.Info, error: $"{voter.Id} {read.Call.ErrorText}");
                if (!read.Call.Outcome.IsDefinite())
                    process += context.Voters.Count;
                if (DateTime.UtcNow >= deadline)
                {
                    unread++;
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), token).ConfigureAwait(false);
            }
        }

        return unread;
    }
}
