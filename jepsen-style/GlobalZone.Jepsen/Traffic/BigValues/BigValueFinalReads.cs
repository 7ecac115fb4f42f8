using GlobalZone.ClusterRunner;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Client;

namespace GlobalZone.Jepsen.Traffic.BigValues;

/// <summary>
/// After healing: every key a big-value write touched is read raw (linearizable) from every voter, so each voter's own
/// copy is inspected, not only the leader's. Each read is recorded with the voter it asked as its input and what it
/// found as its output (<see cref="BigValueObservation"/>, none for an absent key); the voters are read at once, each by
/// its own process, keys one after another.
/// </summary>
internal static class BigValueFinalReads
{
    /// <summary>Reads everything; returns, per voter that could not be read for some keys, how many.</summary>
    public static async Task<IReadOnlyDictionary<string, int>> ReadAllAsync(FinalReadContext context, GzHttpClient http, CancellationToken token)
    {
        var keys = context.Recorder.Snapshot()
            .Where(o => o.Kind == OperationKind.Write && BigValueKeys.Owns(o.Key) && BigWrite.Parse(o.Input) is not null)
            .SelectMany(o => BigValueKeys.Written(o.Key, BigWrite.Parse(o.Input)!))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        var voters = context.Voters;
        var unread = await Task.WhenAll(voters.Select((voter, i) => ReadFromAsync(context, http, voter, ProcessIds.BigValueFinalReads + i, keys, token))).ConfigureAwait(false);
        var unreadByVoter = voters.Zip(unread).Where(p => p.Second > 0).ToDictionary(p => p.First.Id, p => p.Second);
        context.Log.Info($"big-values final reads: {keys.Count} keys on {voters.Count} voters"
            + (unreadByVoter.Count > 0 ? $"; never answered: {string.Join(", ", unreadByVoter.Select(p => $"{p.Key} {p.Value} keys"))}" : ", all answered"));
        return unreadByVoter;
    }

    // Reads every key from one voter, retrying a failed read until the voter's patience (the final-read patience, for
    // all its keys together) runs out; after that the voter's remaining keys are left unread rather than each waiting
    // out a timeout. Returns how many keys it never answered.
    private static async Task<int> ReadFromAsync(FinalReadContext context, GzHttpClient http, MemberSpec voter, int process, IReadOnlyList<string> keys, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + context.Patience;
        for (var k = 0; k < keys.Count; k++)
        {
            var key = keys[k];
            while (true)
            {
                token.ThrowIfCancellationRequested();
                var pending = context.Recorder.Invoke(process, OperationKind.Read, key, input: voter.Id);
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
                    context.Log.Info($"big-values final reads: {voter.Id} gave no answer within {context.Patience.TotalSeconds:0} s ({read.Call.ErrorText}); {keys.Count - k} keys left unread there");
                    return keys.Count - k;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), token).ConfigureAwait(false);
            }
        }

        return 0;
    }
}
