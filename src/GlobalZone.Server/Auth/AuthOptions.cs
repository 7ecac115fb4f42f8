namespace GlobalZone.Server.Auth;

/// <summary><c>GlobalZone:Auth:*</c>: how long the bearer tokens this member issues stay valid, and how often one may be asked for.</summary>
public sealed record AuthOptions
{
    public const string SectionName = "GlobalZone:Auth";

    /// <summary>
    /// Lifetime of a token from <c>POST /v1/auth/token</c>. Short, because a token is checked only by its signature
    /// and expiry (plus the user still existing): a changed password does not end tokens already issued.
    /// </summary>
    public double TokenTtlSeconds { get; init; } = 300;

    public TimeSpan TokenTtl => TimeSpan.FromSeconds(TokenTtlSeconds);

    /// <summary>Token requests allowed per user name and client address in a minute (see <see cref="TokenAttemptLimiter"/>).</summary>
    public int TokenAttemptsPerMinute { get; init; } = 10;

    public void Validate()
    {
        if (!double.IsFinite(TokenTtlSeconds) || TokenTtlSeconds is < 1 or > 86_400)
            throw new InvalidOperationException($"{SectionName}:TokenTtlSeconds must be from 1 to 86400 seconds (got {TokenTtlSeconds}).");
        if (TokenAttemptsPerMinute is < 1 or > 10_000)
            throw new InvalidOperationException($"{SectionName}:TokenAttemptsPerMinute must be from 1 to 10000 (got {TokenAttemptsPerMinute}).");
    }
}
