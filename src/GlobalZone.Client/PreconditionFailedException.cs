using System.Net;
using GlobalZone.Contracts;

namespace GlobalZone.Client;

/// <summary>A conditional write's condition did not hold (412): nothing was applied.</summary>
public sealed class PreconditionFailedException : GlobalZoneException
{
    /// <summary>Creates the exception for a 412 answer.</summary>
    public PreconditionFailedException(ProblemDetailsBody? problem, long? currentModRevision)
        : base(HttpStatusCode.PreconditionFailed, problem)
    {
        CurrentModRevision = currentModRevision;
    }

    /// <summary>The key's modRevision now (its ETag), or null when the key does not exist.</summary>
    public long? CurrentModRevision { get; }
}
