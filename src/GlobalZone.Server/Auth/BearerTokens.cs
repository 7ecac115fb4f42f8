using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GlobalZone.Server.Auth;

/// <summary>
/// The cluster's bearer tokens: <c>gz1.{user, base64url}.{expiry, unix ms}.{HMAC-SHA256, base64url}</c>, signed with the
/// replicated token secret, so any member verifies one locally. A token names its user only, never roles: those
/// are read from the member's applied state on every request, so a role change applies to tokens already issued.
/// </summary>
internal static class BearerTokens
{
    private const string Version = "gz1";

    public static string Issue(string user, DateTimeOffset expiresAt, byte[] secret)
    {
        var payload = string.Join('.', Version, Base64Url.EncodeToString(Encoding.UTF8.GetBytes(user)),
            expiresAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        return payload + "." + Base64Url.EncodeToString(Sign(payload, secret));
    }

    /// <summary>The token's user, or null with the reason it is not accepted.</summary>
    public static string? Validate(string token, byte[] secret, DateTimeOffset now, out string? problem) => Validate(token, secret, now, out problem, out _);

    /// <summary>The token's user and when it expires, or null with the reason it is not accepted.</summary>
    public static string? Validate(string token, byte[] secret, DateTimeOffset now, out string? problem, out DateTimeOffset expiresAt)
    {
        problem = null;
        expiresAt = default;
        var parts = token.Split('.');
        if (parts.Length != 4 || parts[0] != Version || secret.Length == 0)
        {
            problem = "The bearer token is not a GlobalZone token.";
            return null;
        }

        var payload = string.Join('.', parts[0], parts[1], parts[2]);
        byte[] signature;
        byte[] userBytes;
        try
        {
            signature = Base64Url.DecodeFromChars(parts[3]);
            userBytes = Base64Url.DecodeFromChars(parts[1]);
        }
        catch (FormatException)
        {
            problem = "The bearer token is not a GlobalZone token.";
            return null;
        }

        if (!CryptographicOperations.FixedTimeEquals(signature, Sign(payload, secret)))
        {
            problem = "The bearer token's signature is not valid (issued by another cluster, or before auth was last enabled).";
            return null;
        }

        if (!long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var expiresMs) || now.ToUnixTimeMilliseconds() >= expiresMs)
        {
            problem = "The bearer token has expired; get a new one from POST /v1/auth/token.";
            return null;
        }

        expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(expiresMs);
        return Encoding.UTF8.GetString(userBytes);
    }

    private static byte[] Sign(string payload, byte[] secret) => HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(payload));
}
