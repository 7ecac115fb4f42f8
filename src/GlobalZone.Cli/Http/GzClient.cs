using System.CommandLine;
using GlobalZone.Client;

namespace GlobalZone.Cli.Http;

/// <summary>
/// gz's data-plane commands (kv, watch, lease, elect) on <see cref="GlobalZoneClient"/>: member discovery, failover and
/// idempotent retries come from the library, with the CLI's endpoints, TLS files and sign-in. The client's exceptions
/// become <see cref="GzException"/>s with the same messages and exit codes <see cref="GzHttp"/> gives.
/// </summary>
internal static class GzClient
{
    /// <summary>A client over the endpoints, TLS files and user the command line (or the environment) names.</summary>
    /// <param name="result">The parsed command line.</param>
    /// <param name="configure">Per-command settings (a lock lease TTL, a longer retry budget).</param>
    public static GlobalZoneClient Create(ParseResult result, Action<GlobalZoneClientOptions>? configure = null)
    {
        // Checks the TLS files the way every other gz command does (a missing file is one line, not a stack trace).
        _ = GzTls.ClientOptions();
        var credentials = CliAuth.Resolve(result);
        var options = new GlobalZoneClientOptions
        {
            Endpoints = [.. CliOptions.ResolveEndpoints(result).Select(u => u.ToString())],
            CaCertificateFile = GzTls.CaFile,
            ClientCertificateFile = result.GetValue(GzTls.Cert) ?? Variable("GZ_CERT"),
            ClientKeyFile = result.GetValue(GzTls.Key) ?? Variable("GZ_KEY"),
            Username = credentials?.User,
            Password = credentials?.Password,
        };
        configure?.Invoke(options);
        return new GlobalZoneClient(options);
    }

    /// <summary>
    /// The failure as gz prints it: <c>HTTP status: title detail</c> for a refusal (as <see cref="GzHttp.ProblemAsync"/>
    /// words it), the client's own message when no member answered; exit 4 unavailable, 3 condition failed, 2 absent.
    /// </summary>
    public static GzException ToGzException(GlobalZoneException e)
    {
        if (e is GlobalZoneUnavailableException)
            return new GzException(e.Message, ExitCodes.Unavailable);
        var status = (int)e.StatusCode;
        var message = e.Problem is { } problem
            ? $"HTTP {status}: {problem.Title}{(problem.Detail is { Length: > 0 } detail ? " " + detail : "")}"
            : $"HTTP {status}: {e.Message}";
        if (e is GlobalZoneLimitExceededException { RetryAfter: { } retryAfter })
            message += $" (retry after {retryAfter.TotalSeconds:0} s)";
        var exitCode = e is PreconditionFailedException ? ExitCodes.PreconditionFailed : ExitCodes.ForStatus(status);
        return new GzException(message, exitCode) { Status = status };
    }

    private static string? Variable(string variable) => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } text ? text : null;
}
