using System.Globalization;
using GlobalZone.Contracts;
using GlobalZone.StateMachine.Commands;

namespace GlobalZone.Server.Api;

/// <summary>
/// <c>If-Fencing-Token: {lock}:{token}</c> on any write: the write applies only while that token is the current
/// grant of the still-held lock. Lock names may contain ':', so the token is what follows the last one.
/// </summary>
internal static class Fencing
{
    /// <summary>False with a problem text when the header is present but malformed; <paramref name="fence"/> is null when absent.</summary>
    public static bool TryRead(HttpContext context, out Fence? fence, out string? problem)
    {
        fence = null;
        problem = null;
        if (!context.Request.Headers.TryGetValue(HeaderNames.FencingToken, out var values))
            return true;
        var text = values.ToString().Trim();
        var colon = text.LastIndexOf(':');
        if (values.Count != 1 || colon <= 0
            || !long.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var token) || token <= 0)
        {
            problem = $"{HeaderNames.FencingToken} must be '{{lock}}:{{token}}' as a lock grant returned it (its 'fence' field).";
            return false;
        }

        var name = text[..colon];
        if (KeyValidation.Problem(name) is { } nameProblem)
        {
            problem = $"{HeaderNames.FencingToken} names an invalid lock: {nameProblem}";
            return false;
        }

        fence = new Fence(name, token);
        return true;
    }
}
