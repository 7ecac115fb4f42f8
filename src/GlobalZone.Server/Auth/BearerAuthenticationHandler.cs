using System.Security.Claims;
using System.Text.Encodings.Web;
using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace GlobalZone.Server.Auth;

/// <summary>
/// The <c>Bearer</c> scheme: a token from <c>POST /v1/auth/token</c>, checked against this member's applied state (the
/// token secret, the user still existing). While auth is off nothing is authenticated and every access requirement
/// succeeds, so the API behaves as before auth existed. Challenges and refusals are problem+json like every error.
/// </summary>
internal sealed class BearerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, GlobalZoneCluster cluster, TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    /// <summary>Claim with the token's expiry (Unix milliseconds): streams that outlive a request end when it passes.</summary>
    public const string ExpiresClaim = "gz:token-expires-ms";

    /// <summary>When the token that authenticated <paramref name="user"/> expires; null without a token (auth off).</summary>
    public static DateTimeOffset? TokenExpiry(ClaimsPrincipal user)
        => user.FindFirst(ExpiresClaim)?.Value is { } text && long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var auth = cluster.State.Auth;
        if (!auth.Enabled)
            return Task.FromResult(AuthenticateResult.NoResult());
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
            return Task.FromResult(AuthenticateResult.NoResult());
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Task.FromResult(AuthenticateResult.Fail("Send Authorization: Bearer <token> (a token from POST /v1/auth/token)."));
        var user = BearerTokens.Validate(header["Bearer ".Length..].Trim(), auth.Settings.TokenSecret, time.GetUtcNow(), out var problem, out var expiresAt);
        if (user is null)
            return Task.FromResult(AuthenticateResult.Fail(problem!));
        if (!auth.Users.ContainsKey(user))
            return Task.FromResult(AuthenticateResult.Fail($"User '{user}' no longer exists."));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, user), new Claim(ExpiresClaim, expiresAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture))], SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        var failure = (await Context.AuthenticateAsync(SchemeName)).Failure?.Message;
        await Problems.WriteAsync(Context, StatusCodes.Status401Unauthorized, ProblemTypes.Unauthenticated, "Authentication required.",
            failure ?? "Auth is enabled: send Authorization: Bearer <token> (POST /v1/auth/token exchanges a user's name and password for one).");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
        => Problems.WriteAsync(Context, StatusCodes.Status403Forbidden, ProblemTypes.PermissionDenied, "Permission denied.",
            AccessRequirements.DenialOf(Context) ?? $"User '{Context.User.Identity?.Name}' lacks the permission {Request.Method} {Request.Path} needs.");
}
