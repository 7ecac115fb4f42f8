using GlobalZone.Consensus;
using GlobalZone.StateMachine.Auth;
using Microsoft.AspNetCore.Authorization;

namespace GlobalZone.Server.Auth;

/// <summary>Admin-only: membership, backup, standby, users, roles and auth itself. Met by the <c>root</c> role.</summary>
internal sealed record AdminRequirement : IAuthorizationRequirement;

/// <summary>
/// <see cref="Access"/> on the key or prefix the endpoint's <see cref="KeyScope"/> names in the request line; without
/// a scope (a transaction's keys are in its body, a lease has no key) the user must hold that access on some prefix
/// (<see cref="KeyAccess.None"/>: any grant at all) and the endpoint checks each key itself (<see cref="KeyPermissions"/>).
/// </summary>
internal sealed record KeyAccessRequirement(KeyAccess Access) : IAuthorizationRequirement;

/// <summary>
/// Endpoint metadata: the key (or prefix) a request is about, read from its route or query. Null when the request
/// does not name one well enough; it is then checked as if the endpoint had no scope and refused by the endpoint.
/// </summary>
internal sealed record KeyScope(Func<HttpContext, string?> Resolve)
{
    public static readonly KeyScope RouteKey = new(context => context.Request.RouteValues["key"] as string ?? "");

    public static readonly KeyScope LockName = new(context => context.Request.RouteValues["name"] as string);
}

/// <summary>
/// Decides every GlobalZone requirement from this member's applied auth state: the roles a user has now, not when its
/// token was issued. While auth is off every requirement is met.
/// </summary>
internal sealed class AccessRequirements(GlobalZoneCluster cluster) : IAuthorizationHandler
{
    private const string DenialItem = "GlobalZone.Auth.Denial";

    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        var state = cluster.State.Auth;
        var user = context.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : null;
        var http = context.Resource as HttpContext;
        foreach (var requirement in context.PendingRequirements.ToList())
        {
            if (!state.Enabled)
            {
                context.Succeed(requirement);
                continue;
            }

            if (user is null)
                continue; // not authenticated: the middleware challenges (401)
            switch (requirement)
            {
                case AdminRequirement:
                    if (state.IsRoot(user))
                        context.Succeed(requirement);
                    else
                        Deny(http, $"User '{user}' lacks the root role, which {Describe(http)} needs.");
                    break;
                case KeyAccessRequirement keyAccess:
                {
                    var key = http?.GetEndpoint()?.Metadata.GetMetadata<KeyScope>()?.Resolve(http);
                    if (key is null ? state.HasAny(user, keyAccess.Access) : state.Allows(user, key, keyAccess.Access))
                        context.Succeed(requirement);
                    else
                        Deny(http, key is null
                            ? $"User '{user}' has no {Name(keyAccess.Access)} permission, which {Describe(http)} needs."
                            : $"User '{user}' has no {Name(keyAccess.Access)} permission on '{key}'.");
                    break;
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Why the request was refused, for the 403 body.</summary>
    public static string? DenialOf(HttpContext context) => context.Items[DenialItem] as string;

    public static string Name(KeyAccess access) => access switch
    {
        KeyAccess.Read => "read",
        KeyAccess.Write => "write",
        KeyAccess.ReadWrite => "readwrite",
        _ => "key",
    };

    private static void Deny(HttpContext? http, string detail)
    {
        if (http is not null)
            http.Items[DenialItem] = detail;
    }

    private static string Describe(HttpContext? http) => http is null ? "this request" : $"{http.Request.Method} {http.Request.Path}";
}
