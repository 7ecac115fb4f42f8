using GlobalZone.Jepsen.Checker;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>A recorded linearizable read of one key, retried over the voters until it succeeds or patience runs out.</summary>
internal static class FinalRead
{
    public static async Task<bool> RetryAsync(FinalReadContext context, string key, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + context.Patience;
        for (var attempt = 0; !token.IsCancellationRequested; attempt++)
        {
            var member = context.Voters[attempt % context.Voters.Count];
            var pending = context.Recorder.Invoke(context.Process, OperationKind.Read, key);
            var read = await context.Http.ReadAsync(member, key, stale: false, token).ConfigureAwait(false);
            var status = RegisterWorkload.CompleteRead(context.Recorder, pending, read, member.Id);
            if (status == OperationStatus.Ok)
                return true;
            if (DateTime.UtcNow >= deadline)
                return false;
            await Task.Delay(TimeSpan.FromMilliseconds(200), token).ConfigureAwait(false);
        }

        return false;
    }
}
