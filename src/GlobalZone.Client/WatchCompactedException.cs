using System.Net;
using GlobalZone.Contracts;

namespace GlobalZone.Client;

/// <summary>
/// A watch asked for a revision that is no longer in the cluster's history (410). Read the current state, then watch
/// from its revision + 1 (the configuration provider does this by itself).
/// </summary>
public sealed class WatchCompactedException : GlobalZoneException
{
    /// <summary>Creates the exception for a compacted revision.</summary>
    public WatchCompactedException(ProblemDetailsBody? problem, long requestedRevision, long? oldestRevision)
        : base(HttpStatusCode.Gone, problem,
            $"Revision {requestedRevision} is compacted; the oldest revision still in the history is {oldestRevision?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}.")
    {
        RequestedRevision = requestedRevision;
        OldestRevision = oldestRevision;
    }

    /// <summary>The revision the watch wanted to resume from.</summary>
    public long RequestedRevision { get; }

    /// <summary>The oldest revision still available, when the server said.</summary>
    public long? OldestRevision { get; }
}
