using System.Net;
using GlobalZone.Contracts;

namespace GlobalZone.Client;

/// <summary>
/// The cluster refused a request: <see cref="StatusCode"/> and the RFC 9457 <see cref="Problem"/> it answered
/// (its <c>type</c> is one of <see cref="ProblemTypes"/>).
/// </summary>
public class GlobalZoneException : Exception
{
    /// <summary>Creates the exception for a problem answer.</summary>
    public GlobalZoneException(HttpStatusCode statusCode, ProblemDetailsBody? problem, string? message = null, Exception? inner = null)
        : base(message ?? Describe(statusCode, problem), inner)
    {
        StatusCode = statusCode;
        Problem = problem;
    }

    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The problem body, when the answer had one.</summary>
    public ProblemDetailsBody? Problem { get; }

    /// <summary>The problem's stable <c>type</c> URI (see <see cref="ProblemTypes"/>), or null.</summary>
    public string? ProblemType => Problem?.Type;

    private static string Describe(HttpStatusCode status, ProblemDetailsBody? problem)
        => problem is null
            ? $"GlobalZone answered {(int)status} {status}."
            : $"GlobalZone answered {(int)status}: {problem.Title}" + (problem.Detail is { Length: > 0 } detail ? " " + detail : "");
}
