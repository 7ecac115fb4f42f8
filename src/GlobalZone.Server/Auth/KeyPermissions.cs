using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Server.Api;
using GlobalZone.StateMachine.Auth;

namespace GlobalZone.Server.Auth;

/// <summary>
/// Checks inside an endpoint, for keys only its body or its state names (a transaction's operations, the locks a
/// listing shows, the changes a watch delivers). The route's requirement has already authenticated the caller.
/// </summary>
internal static class KeyPermissions
{
    /// <summary>Whether the caller may <paramref name="access"/> the key or prefix (always, while auth is off).</summary>
    public static bool Allows(HttpContext context, string keyOrPrefix, KeyAccess access)
    {
        var state = context.RequestServices.GetRequiredService<GlobalZoneCluster>().State.Auth;
        return !state.Enabled || (context.User.Identity is { IsAuthenticated: true, Name: { } user } && state.Allows(user, keyOrPrefix, access));
    }

    /// <summary>A 403 naming the key the caller may not touch.</summary>
    public static Task DenyAsync(HttpContext context, string keyOrPrefix, KeyAccess access)
        => Problems.WriteAsync(context, StatusCodes.Status403Forbidden, ProblemTypes.PermissionDenied, "Permission denied.",
            $"User '{context.User.Identity?.Name}' has no {AccessRequirements.Name(access)} permission on '{keyOrPrefix}'.");
}
