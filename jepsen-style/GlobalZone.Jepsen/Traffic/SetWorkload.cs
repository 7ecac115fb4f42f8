using System.Globalization;
using System.Text;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Client;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>
/// Unique additions to a set (<c>PUT /v1/kv/set/N</c> with body N), then, once the faults are healed, one linearizable
/// listing of the whole prefix that must hold every acknowledged addition (no lost writes) and nothing never attempted.
/// </summary>
/// <remarks>
/// Additions are recorded as writes of key <c>set/N</c>; the final listing as one read of key <see cref="Prefix"/>
/// whose output is the JSON array of the values found, in listing order (see <see cref="Validate.SetChecker"/>).
/// </remarks>
internal sealed class SetWorkload : IWorkload
{
    /// <summary>The key prefix of the set's elements, and the key the final read is recorded under.</summary>
    public const string Prefix = "set/";

    private const int PageSize = 10_000;
    private long nextElement;

    public string Name => "set";

    public async Task<OperationStatus> InvokeAsync(ClientContext client, CancellationToken abort)
    {
        var element = Interlocked.Increment(ref nextElement).ToString(CultureInfo.InvariantCulture);
        var member = client.Target(CallPurpose.Update);
        var pending = client.Recorder.Invoke(client.Process, OperationKind.Write, Prefix + element, element);
        var put = await client.Http.PutAsync(member, Prefix + element, element, ifMatchRevision: null, abort).ConfigureAwait(false);
        client.Observe(CallPurpose.Update, put);
        var status = put.Outcome == CallOutcome.Ok ? OperationStatus.Ok : put.Outcome.IsDefinite() ? OperationStatus.Fail : OperationStatus.Info;
        client.Recorder.Complete(pending, status, error: status == OperationStatus.Ok ? null : $"{member.Id} {put.ErrorText}");
        return status;
    }

    /// <summary>Lists the whole set, page by page, retrying the whole listing over the voters until one attempt reads it all.</summary>
    public async Task FinalReadsAsync(FinalReadContext context, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + context.Patience;
        for (var attempt = 0; !token.IsCancellationRequested; attempt++)
        {
            var member = context.Voters[attempt % context.Voters.Count];
            var pending = context.Recorder.Invoke(context.Process, OperationKind.Read, Prefix);
            var values = new List<string>();
            string? after = null;
            CallResult? failure = null;
            do
            {
                var page = await context.Http.ListAsync(member, Prefix, after, PageSize, token).ConfigureAwait(false);
                if (page.Call.Outcome != CallOutcome.Ok)
                {
                    failure = page.Call;
                    break;
                }

                values.AddRange(page.Entries.Select(e => e.Key[Prefix.Length..] == e.Value ? e.Value : $"{e.Key[Prefix.Length..]}={e.Value}"));
                after = page.Next;
            }
            while (after is not null);

            if (failure is null)
            {
                context.Recorder.Complete(pending, OperationStatus.Ok, ToJsonArray(values));
                context.Log.Info($"final listing on {member.Id}: {values.Count} elements");
                return;
            }

            context.Recorder.Complete(pending, failure.Value.Outcome.IsDefinite() ? OperationStatus.Fail : OperationStatus.Info, error: $"{member.Id} {failure.Value.ErrorText}");
            if (DateTime.UtcNow >= deadline)
            {
                context.Log.Info("the final listing never succeeded");
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), token).ConfigureAwait(false);
        }
    }

    // Elements are written as numbers; one whose key and value disagree is kept as "key=value" so the checker sees it.
    internal static string ToJsonArray(IEnumerable<string> values)
    {
        var text = new StringBuilder("[");
        var first = true;
        foreach (var value in values)
        {
            if (!first)
                text.Append(',');
            first = false;
            text.Append(long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? value : System.Text.Json.JsonSerializer.Serialize(value));
        }

        return text.Append(']').ToString();
    }
}
