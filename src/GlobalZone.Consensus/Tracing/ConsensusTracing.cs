using System.Diagnostics;

namespace GlobalZone.Consensus;

/// <summary>
/// Spans the consensus layer starts, children of whatever is current (the HTTP request, for writes and reads):
/// <c>globalzone.propose</c> (one client command, to its result), <c>globalzone.forward</c> (that command's trip to a
/// remote leader) and <c>globalzone.forward.batch</c> (one POST carrying several), <c>globalzone.read_index</c> (a
/// linearizable read's wait for a confirmed index) and <c>globalzone.read_index.round</c> (the leadership
/// confirmation or the question to the leader, shared by every read that joined it). Nothing is recorded unless a
/// listener (the server's OpenTelemetry tracing, when configured) subscribes to <see cref="SourceName"/>.
/// </summary>
public static class ConsensusTracing
{
    public const string SourceName = "GlobalZone.Consensus";

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>Marks <paramref name="activity"/> failed with <paramref name="error"/>; false, so it can sit in an exception filter and let the exception pass.</summary>
    internal static bool Failed(Activity? activity, Exception error)
    {
        if (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, error.GetType().Name);
            activity.AddException(error);
        }

        return false;
    }
}
