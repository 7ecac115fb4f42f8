namespace GlobalZone.Server.Auth;

/// <summary><c>GlobalZone:Auth:*</c>: how long the bearer tokens this member issues stay valid.</summary>
public sealed record AuthOptions
{
    public const string SectionName = "GlobalZone:Auth";

    /// <summary>
    /// Lifetime of a token from <c>POST /v1/auth/token</c>. Short, because a token is checked only by its signature
    /// and expiry (plus the user still existing): a changed password does not end tokens already issued.
    /// </summary>
    public double TokenTtlSeconds { get; init; } = 300;

    public TimeSpan TokenTtl => TimeSpan.FromSeconds(TokenTtlSeconds);

    public void Validate()
    {
        if (!double.IsFinite(TokenTtlSeconds) || TokenTtlSeconds is < 1 or > 86_400)
            throw new InvalidOperationException($"{SectionName}:TokenTtlSeconds must be from 1 to 86400 seconds (got {TokenTtlSeconds}).");
    }
}
