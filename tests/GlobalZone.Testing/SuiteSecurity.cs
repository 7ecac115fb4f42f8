using System.Collections.Concurrent;
using System.Net.Http.Headers;

namespace GlobalZone.Testing;

/// <summary>
/// The suite's security mode: with <c>GZ_TEST_SECURITY=tls+auth</c> every cluster a test starts (except the security
/// tests, which set security up themselves) runs with TLS on every link and authentication on, and every client the
/// tests use (their HTTP clients, <c>GlobalZone.Client</c> options, the <c>gz</c> and lock-worker processes)
/// trusts the cluster's CA and signs in as root. Unset: plain HTTP, as CI's main run.
/// </summary>
public static class SuiteSecurity
{
    public const string Variable = "GZ_TEST_SECURITY";

    /// <summary>True when the suite runs with TLS and authentication on.</summary>
    public static bool On { get; } = Environment.GetEnvironmentVariable(Variable) is { } value
                                     && (value.Equals("tls+auth", StringComparison.OrdinalIgnoreCase) || value == "1");

    /// <summary>How to reach a secured cluster: its CA file, root's password and a signed-in token.</summary>
    public sealed record Credentials(string CaCertFile, string User, string Password, string Token);

    private static readonly ConcurrentDictionary<string, Credentials> ByMemberUrl = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Remembers the credentials of a secured cluster's members (for tools that get only URLs).</summary>
    public static void Register(IEnumerable<string> memberUrls, Credentials credentials)
    {
        foreach (var url in memberUrls)
            ByMemberUrl[url.TrimEnd('/')] = credentials;
    }

    /// <summary>The credentials of the secured cluster a member URL belongs to, or null.</summary>
    public static Credentials? For(string memberUrl)
        => ByMemberUrl.TryGetValue(memberUrl.TrimEnd('/'), out var credentials) ? credentials : null;

    /// <summary>The environment <c>gz</c> (and the lock worker) read credentials from, for a member URL.</summary>
    public static IReadOnlyDictionary<string, string> ToolEnvironment(string memberUrl)
        => For(memberUrl) is { } c
            ? new Dictionary<string, string> { ["GZ_CACERT"] = c.CaCertFile, ["GZ_USER"] = c.User, ["GZ_PASSWORD"] = c.Password }
            : new Dictionary<string, string>();
}

/// <summary>Adds the cluster's bearer token to every request that does not carry its own Authorization header.</summary>
public sealed class BearerTokenHandler(string token, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization ??= new AuthenticationHeaderValue("Bearer", token);
        return base.SendAsync(request, cancellationToken);
    }
}
