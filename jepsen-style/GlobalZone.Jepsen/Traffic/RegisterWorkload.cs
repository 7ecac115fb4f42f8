using System.Globalization;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Client;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>
/// Reads, writes and compare-and-sets of small integers over a rotating set of keys, checked for linearizability.
/// </summary>
/// <remarks>
/// The API's conditional write is revision based, so a compare-and-set is a read followed by
/// <c>PUT If-Match: "modRevision"</c>, recorded as one operation from before the read to after the put:
/// <list type="bullet">
/// <item>ok: the put succeeded (at its commit the key still had the revision, hence the value, that was read);</item>
/// <item>fail: a linearizable read saw a value other than the expected one;</item>
/// <item>info: the put's outcome is unknown (timeout, 504, broken connection);</item>
/// <item>aborted (recorded as fail with an error starting <see cref="AbortedPrefix"/>): no put was sent, or every put
/// was refused (412 only says the revision moved, not that the value differs), and no read saw another value — it
/// did nothing and observed nothing, so the checker leaves it out.</item>
/// </list>
/// The compare-and-set's own read is always linearizable, even when plain reads are stale.
/// </remarks>
internal sealed class RegisterWorkload(KeyRotation keys) : IWorkload
{
    /// <summary>Error prefix of a compare-and-set that did nothing and observed nothing.</summary>
    public const string AbortedPrefix = "aborted";

    /// <summary>Key prefix of register keys.</summary>
    public const string KeyPrefix = "r/";

    public string Name => "register";

    public KeyRotation Keys { get; } = keys;

    public Task<OperationStatus> InvokeAsync(ClientContext client, CancellationToken abort)
    {
        var key = Keys.Next(client.Random);
        return client.Random.Next(3) switch
        {
            0 => ReadAsync(client, key, abort),
            1 => WriteAsync(client, key, abort),
            _ => CompareAndSetAsync(client, key, abort),
        };
    }

    private static string RandomValue(ClientContext client) => client.Random.Next(client.Settings.ValueRange).ToString(CultureInfo.InvariantCulture);

    private static async Task<OperationStatus> ReadAsync(ClientContext client, string key, CancellationToken abort)
    {
        var member = client.Target(CallPurpose.Read);
        var pending = client.Recorder.Invoke(client.Process, OperationKind.Read, key);
        var read = await client.Http.ReadAsync(member, key, client.Settings.StaleReads, abort).ConfigureAwait(false);
        client.Observe(CallPurpose.Read, read.Call);
        return CompleteRead(client.Recorder, pending, read, member.Id);
    }

    /// <summary>Records a read's ending: found or absent is ok, a definite refusal fails, anything else is unknown.</summary>
    internal static OperationStatus CompleteRead(HistoryRecorder recorder, PendingOperation pending, KeyRead read, string memberId)
    {
        if (read.Succeeded)
        {
            recorder.Complete(pending, OperationStatus.Ok, read.Value);
            return OperationStatus.Ok;
        }

        var status = read.Call.Outcome.IsDefinite() ? OperationStatus.Fail : OperationStatus.Info;
        recorder.Complete(pending, status, error: $"{memberId} {read.Call.ErrorText}");
        return status;
    }

    private static async Task<OperationStatus> WriteAsync(ClientContext client, string key, CancellationToken abort)
    {
        var value = RandomValue(client);
        var member = client.Target(CallPurpose.Update);
        var pending = client.Recorder.Invoke(client.Process, OperationKind.Write, key, value);
        var put = await client.Http.PutAsync(member, key, value, ifMatchRevision: null, abort).ConfigureAwait(false);
        client.Observe(CallPurpose.Update, put);
        var status = put.Outcome == CallOutcome.Ok ? OperationStatus.Ok : put.Outcome.IsDefinite() ? OperationStatus.Fail : OperationStatus.Info;
        client.Recorder.Complete(pending, status, error: status == OperationStatus.Ok ? null : $"{member.Id} {put.ErrorText}");
        return status;
    }

    private static async Task<OperationStatus> CompareAndSetAsync(ClientContext client, string key, CancellationToken abort)
    {
        var expected = RandomValue(client);
        var value = RandomValue(client);
        var pending = client.Recorder.Invoke(client.Process, OperationKind.CompareAndSet, key, value, expected);
        // Two timeouts' worth: a read and a put; 412s (a concurrent write between them) retry within it.
        var deadline = DateTime.UtcNow + client.Http.OperationTimeout * 2;
        string? lastRefusal = null;
        while (true)
        {
            var member = client.Target(CallPurpose.Update);
            var read = await client.Http.ReadAsync(member, key, stale: false, abort).ConfigureAwait(false);
            client.Observe(CallPurpose.Update, read.Call);
            if (!read.Succeeded)
                return Complete(client, pending, OperationStatus.Fail, $"{AbortedPrefix}: read on {member.Id} {read.Call.ErrorText}");
            if (!string.Equals(read.Value, expected, StringComparison.Ordinal))
                return Complete(client, pending, OperationStatus.Fail, $"saw {read.Value ?? "nil"}");
            if (DateTime.UtcNow >= deadline)
                return Complete(client, pending, OperationStatus.Fail, $"{AbortedPrefix}: {lastRefusal ?? "out of time"}");

            var put = await client.Http.PutAsync(member, key, value, read.ModRevision, abort).ConfigureAwait(false);
            client.Observe(CallPurpose.Update, put);
            switch (put.Outcome)
            {
                case CallOutcome.Ok:
                    return Complete(client, pending, OperationStatus.Ok, null);
                case CallOutcome.PreconditionFailed:
                    // The revision moved, maybe to the same value: read again rather than claim the value differed.
                    lastRefusal = $"412 on {member.Id}";
                    if (DateTime.UtcNow >= deadline)
                        return Complete(client, pending, OperationStatus.Fail, $"{AbortedPrefix}: {lastRefusal}");
                    continue;
                default:
                    return put.Outcome.IsDefinite()
                        ? Complete(client, pending, OperationStatus.Fail, $"{AbortedPrefix}: put on {member.Id} {put.ErrorText}")
                        : Complete(client, pending, OperationStatus.Info, $"put on {member.Id} {put.ErrorText}");
            }
        }
    }

    private static OperationStatus Complete(ClientContext client, PendingOperation pending, OperationStatus status, string? error)
    {
        client.Recorder.Complete(pending, status, error: error);
        return status;
    }

    /// <summary>Reads every key ever used, linearizably, retrying across members until each read succeeds.</summary>
    public async Task FinalReadsAsync(FinalReadContext context, CancellationToken token)
    {
        foreach (var key in Keys.AllKeys)
        {
            if (!await FinalRead.RetryAsync(context, key, token).ConfigureAwait(false))
                context.Log.Info($"final read of {key} never succeeded");
        }
    }
}
