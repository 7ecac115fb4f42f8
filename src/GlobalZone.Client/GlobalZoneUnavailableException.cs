using System.Net;
using GlobalZone.Contracts;

namespace GlobalZone.Client;

/// <summary>
/// No member gave a usable answer within the retry budget (<see cref="GlobalZoneClientOptions.MaxAttempts"/>,
/// <see cref="GlobalZoneClientOptions.RetryBudget"/>): members unreachable, no leader, or outcomes unknown. For a
/// write, <see cref="OutcomeUnknown"/> says whether it may have been applied; retrying it with the same
/// <see cref="WriteOptions.IdempotencyKey"/> is safe.
/// </summary>
public sealed class GlobalZoneUnavailableException : GlobalZoneException
{
    /// <summary>Creates the exception after the last failed attempt.</summary>
    public GlobalZoneUnavailableException(string message, int attempts, bool outcomeUnknown, HttpStatusCode lastStatus = HttpStatusCode.ServiceUnavailable,
        ProblemDetailsBody? lastProblem = null, Exception? inner = null)
        : base(lastStatus, lastProblem, message, inner)
    {
        Attempts = attempts;
        OutcomeUnknown = outcomeUnknown;
    }

    /// <summary>How many attempts were made.</summary>
    public int Attempts { get; }

    /// <summary>True when a write may have been applied (an attempt timed out or was answered 504).</summary>
    public bool OutcomeUnknown { get; }
}
