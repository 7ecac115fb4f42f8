using System.Collections.Immutable;
using GlobalZone.StateMachine.Auth;
using GlobalZone.StateMachine.Commands;

namespace GlobalZone.StateMachine;

// Users, roles and auth settings: replicated like everything else (and so in snapshots and backups), checked by the
// API on every request against this member's applied state.
public sealed partial class KeyValueStateMachine
{
    /// <summary>Longest user or role name.</summary>
    public const int MaxAuthNameLength = 128;

    private volatile AuthState auth = AuthState.Empty;

    /// <summary>Users, roles and settings as of the last applied command. Lock-free to read.</summary>
    public AuthState Auth => auth;

    private void IndexAuthRecord(string storageKey, byte[] value)
    {
        var current = auth;
        auth = StorageKeys.KindOf(storageKey) switch
        {
            StorageKeys.AuthUserPrefix when AuthUser.Decode(value) is var user => current with { Users = current.Users.SetItem(user.Name, user) },
            StorageKeys.AuthRolePrefix when AuthRole.Decode(value) is var role => current with { Roles = current.Roles.SetItem(role.Name, role) },
            _ => current with { Settings = AuthSettings.Decode(value) },
        };
    }

    private CommandResult ApplyAuth(AuthCommand command)
    {
        var state = auth;
        var name = command.Name;
        if (!ValidName(name))
            return CommandResult.Rejected(revision, $"A user or role name is 1 to {MaxAuthNameLength} printable characters.");
        switch (command.Operation)
        {
            case AuthOperation.UserAdd:
            case AuthOperation.UserPassword:
            {
                if (command.Data is null)
                    return CommandResult.Rejected(revision, "A password hash is missing.");
                var password = PasswordHash.Decode(command.Data);
                var exists = state.Users.TryGetValue(name, out var existing);
                if (command.Operation == AuthOperation.UserAdd && exists)
                    return Failed(CommandStatus.Conflict, $"User '{name}' already exists.");
                if (command.Operation == AuthOperation.UserPassword && !exists)
                    return Failed(CommandStatus.NotFound, $"User '{name}' does not exist.");
                return PutUser(existing is null
                    ? new AuthUser(name, password, ImmutableSortedSet.Create<string>(StringComparer.Ordinal))
                    : existing with { Password = password });
            }

            case AuthOperation.UserDelete:
                if (!state.Users.ContainsKey(name))
                    return Failed(CommandStatus.NotFound, $"User '{name}' does not exist.");
                if (state.Enabled && name == AuthRole.Root)
                    return Failed(CommandStatus.Conflict, "The root user cannot be deleted while auth is enabled.");
                writes.Delete(StorageKeys.ForAuthUser(name));
                auth = state with { Users = state.Users.Remove(name) };
                return Applied();

            case AuthOperation.UserGrantRole:
            case AuthOperation.UserRevokeRole:
            {
                var role = command.Target ?? "";
                if (!state.Users.TryGetValue(name, out var user))
                    return Failed(CommandStatus.NotFound, $"User '{name}' does not exist.");
                if (command.Operation == AuthOperation.UserGrantRole)
                {
                    if (!state.RoleExists(role))
                        return Failed(CommandStatus.NotFound, $"Role '{role}' does not exist.");
                    return PutUser(user with { Roles = user.Roles.Add(role) });
                }

                if (!user.Roles.Contains(role))
                    return Failed(CommandStatus.NotFound, $"User '{name}' does not have role '{role}'.");
                if (state.Enabled && name == AuthRole.Root && role == AuthRole.Root)
                    return Failed(CommandStatus.Conflict, "The root user keeps the root role while auth is enabled (so nobody is locked out).");
                return PutUser(user with { Roles = user.Roles.Remove(role) });
            }

            case AuthOperation.RoleAdd:
                if (state.RoleExists(name))
                    return Failed(CommandStatus.Conflict, name == AuthRole.Root ? "The root role is built in." : $"Role '{name}' already exists.");
                return PutRole(AuthRole.Empty(name));

            case AuthOperation.RoleDelete:
            {
                if (name == AuthRole.Root)
                    return Failed(CommandStatus.Conflict, "The root role is built in and cannot be deleted.");
                if (!state.Roles.ContainsKey(name))
                    return Failed(CommandStatus.NotFound, $"Role '{name}' does not exist.");
                writes.Delete(StorageKeys.ForAuthRole(name));
                var users = state.Users;
                // As etcd: the role is taken from every user that had it, so a role of the same name added later
                // grants nothing by surprise.
                foreach (var user in state.Users.Values.Where(u => u.Roles.Contains(name)))
                {
                    var changed = user with { Roles = user.Roles.Remove(name) };
                    writes.Upsert(StorageKeys.ForAuthUser(user.Name), changed.Encode());
                    users = users.SetItem(user.Name, changed);
                }

                auth = state with { Roles = state.Roles.Remove(name), Users = users };
                return Applied();
            }

            case AuthOperation.RoleGrantPermission:
            case AuthOperation.RoleRevokePermission:
            {
                var prefix = command.Target ?? "";
                if (name == AuthRole.Root)
                    return Failed(CommandStatus.Conflict, "The root role is built in: it already has every permission, and keeps them.");
                if (!state.Roles.TryGetValue(name, out var role))
                    return Failed(CommandStatus.NotFound, $"Role '{name}' does not exist.");
                if (command.Operation == AuthOperation.RoleGrantPermission)
                {
                    if (command.Access is not (KeyAccess.Read or KeyAccess.Write or KeyAccess.ReadWrite))
                        return CommandResult.Rejected(revision, "A permission is read, write or readwrite.");
                    return PutRole(role with { Permissions = role.Permissions.SetItem(prefix, command.Access) });
                }

                if (!role.Permissions.ContainsKey(prefix))
                    return Failed(CommandStatus.NotFound, $"Role '{name}' has no permission on prefix '{prefix}'.");
                return PutRole(role with { Permissions = role.Permissions.Remove(prefix) });
            }

            case AuthOperation.Enable:
                // As etcd: enabling needs a way back in. Without a root user holding the root role nobody could
                // manage users or turn auth off again.
                if (!state.IsRoot(AuthRole.Root))
                    return Failed(CommandStatus.Conflict, "Auth cannot be enabled before user 'root' exists with role 'root'.");
                if (command.Data is not { Length: >= 32 })
                    return CommandResult.Rejected(revision, "A token secret of at least 32 bytes is missing.");
                return PutSettings(new AuthSettings(true, command.Data));

            case AuthOperation.Disable:
                return PutSettings(state.Settings with { Enabled = false });

            default:
                return CommandResult.Rejected(revision, $"Unknown auth operation {command.Operation}.");
        }
    }

    private static bool ValidName(string name)
        => name.Length is > 0 and <= MaxAuthNameLength && !name.Any(char.IsControl);

    private CommandResult PutUser(AuthUser user)
    {
        writes.Upsert(StorageKeys.ForAuthUser(user.Name), user.Encode());
        auth = auth with { Users = auth.Users.SetItem(user.Name, user) };
        return Applied();
    }

    private CommandResult PutRole(AuthRole role)
    {
        writes.Upsert(StorageKeys.ForAuthRole(role.Name), role.Encode());
        auth = auth with { Roles = auth.Roles.SetItem(role.Name, role) };
        return Applied();
    }

    private CommandResult PutSettings(AuthSettings settings)
    {
        writes.Upsert(StorageKeys.AuthSettings, settings.Encode());
        auth = auth with { Settings = settings };
        return Applied();
    }

    private CommandResult Applied() => new(CommandStatus.Applied, revision, true, []);

    private CommandResult Failed(CommandStatus status, string error) => CommandResult.Failed(status, revision, error);
}
