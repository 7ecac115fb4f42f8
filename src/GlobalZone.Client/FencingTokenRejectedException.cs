using System.Net;
using GlobalZone.Contracts;

namespace GlobalZone.Client;

/// <summary>
/// A fenced write was refused: the fencing token it carried is not the current grant of a held lock (the lock was
/// lost, released, or granted again since). Nothing was applied.
/// </summary>
public sealed class FencingTokenRejectedException : GlobalZoneException
{
    /// <summary>Creates the exception for a refused fenced write.</summary>
    public FencingTokenRejectedException(HttpStatusCode statusCode, ProblemDetailsBody? problem)
        : base(statusCode, problem)
    {
    }

    /// <summary>The lock as it is now, when the server said.</summary>
    public LockInfo? Lock => Problem?.Lock;
}
