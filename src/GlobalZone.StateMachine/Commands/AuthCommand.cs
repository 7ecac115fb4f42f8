using GlobalZone.StateMachine.Auth;

namespace GlobalZone.StateMachine.Commands;

/// <summary>What an <see cref="AuthCommand"/> does. Values are part of the log format: never reuse one.</summary>
public enum AuthOperation : byte
{
    /// <summary>Adds user <c>Name</c> with password hash <c>Data</c>.</summary>
    UserAdd = 1,
    UserDelete = 2,

    /// <summary>Replaces user <c>Name</c>'s password hash with <c>Data</c>.</summary>
    UserPassword = 3,

    /// <summary>Grants role <c>Target</c> to user <c>Name</c>.</summary>
    UserGrantRole = 4,
    UserRevokeRole = 5,
    RoleAdd = 6,
    RoleDelete = 7,

    /// <summary>Grants role <c>Name</c> <c>Access</c> on the keys under prefix <c>Target</c> (replacing an earlier grant there).</summary>
    RoleGrantPermission = 8,

    /// <summary>Removes role <c>Name</c>'s grant on prefix <c>Target</c>.</summary>
    RoleRevokePermission = 9,

    /// <summary>Turns auth on with the new token secret <c>Data</c> (drawn by the proposer).</summary>
    Enable = 10,
    Disable = 11,
}

/// <summary>
/// A change to users, roles or auth settings. Passwords arrive already hashed (see <see cref="PasswordHash"/>): the
/// log never holds one.
/// </summary>
public sealed record AuthCommand(AuthOperation Operation, string Name, string? Target = null, byte[]? Data = null, KeyAccess Access = KeyAccess.None) : Command
{
    public override CommandKind Kind => CommandKind.Auth;
}
