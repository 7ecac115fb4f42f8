using System.Collections.Immutable;

namespace GlobalZone.StateMachine.Auth;

/// <summary>
/// Users, roles and settings as of one applied index: immutable, swapped whole by the applier, so a request checks
/// its user against the current roles without a lock (and a role change is seen by the next request on this member).
/// </summary>
public sealed record AuthState(AuthSettings Settings, ImmutableDictionary<string, AuthUser> Users, ImmutableDictionary<string, AuthRole> Roles)
{
    public static readonly AuthState Empty = new(AuthSettings.Off,
        ImmutableDictionary.Create<string, AuthUser>(StringComparer.Ordinal), ImmutableDictionary.Create<string, AuthRole>(StringComparer.Ordinal));

    public bool Enabled => Settings.Enabled;

    public bool IsRoot(string user) => Users.TryGetValue(user, out var found) && found.Roles.Contains(AuthRole.Root);

    public bool RoleExists(string role) => role == AuthRole.Root || Roles.ContainsKey(role);

    /// <summary>
    /// Whether <paramref name="user"/> may <paramref name="access"/> the key, or every key under the prefix,
    /// <paramref name="keyOrPrefix"/>: one grant whose prefix it starts with must allow it (as etcd, a range needs one
    /// grant covering all of it). Root may do anything.
    /// </summary>
    public bool Allows(string user, string keyOrPrefix, KeyAccess access)
    {
        if (!Users.TryGetValue(user, out var found))
            return false;
        foreach (var roleName in found.Roles)
        {
            if (roleName == AuthRole.Root)
                return true;
            if (!Roles.TryGetValue(roleName, out var role))
                continue;
            foreach (var (prefix, granted) in role.Permissions)
            {
                if ((granted & access) == access && keyOrPrefix.StartsWith(prefix, StringComparison.Ordinal))
                    return true;
            }
        }

        return false;
    }

    /// <summary>Whether the user holds <paramref name="access"/> on some prefix (what lease operations need).</summary>
    public bool HasAny(string user, KeyAccess access)
    {
        if (!Users.TryGetValue(user, out var found))
            return false;
        foreach (var roleName in found.Roles)
        {
            if (roleName == AuthRole.Root)
                return true;
            if (Roles.TryGetValue(roleName, out var role) && role.Permissions.Values.Any(granted => (granted & access) == access))
                return true;
        }

        return false;
    }
}
