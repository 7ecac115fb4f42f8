using System.Net;
using GlobalZone.Contracts;

namespace GlobalZone.Client;

/// <summary>
/// A cap was reached (429: a cluster-wide quota such as leases or lock waiters; 503: a member's capacity such as watch
/// streams) and waiting as <c>Retry-After</c> said would not fit in the retry budget. Nothing was applied: the same
/// request may be sent again later. <see cref="GlobalZoneException.ProblemType"/> names the cap (e.g.
/// <see cref="ProblemTypes.TooManyLeases"/>).
/// </summary>
public sealed class GlobalZoneLimitExceededException : GlobalZoneException
{
    /// <summary>Creates the exception for the last refusal.</summary>
    public GlobalZoneLimitExceededException(HttpStatusCode statusCode, ProblemDetailsBody? problem, TimeSpan? retryAfter, int attempts)
        : base(statusCode, problem, $"GlobalZone refused: {problem?.Title ?? "a limit was reached"}" + (problem?.Detail is { Length: > 0 } detail ? " " + detail : "")
            + (retryAfter is { } wait ? $" Retry after {wait.TotalSeconds:0.#} s." : "") + $" ({attempts} attempt(s))")
    {
        RetryAfter = retryAfter;
        Attempts = attempts;
    }

    /// <summary>What the cluster said to wait before trying again, when it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>How many attempts were made.</summary>
    public int Attempts { get; }
}
