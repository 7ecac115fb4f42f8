using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Auth;
using GlobalZone.StateMachine.Commands;
using GlobalZone.Storage;

namespace GlobalZone.UnitTests;

/// <summary>
/// Users, roles and auth settings as replicated state: applied deterministically, refused when they would lock the
/// operator out, carried whole by snapshots (so by backups) and checkpoints, and checked by their checksum.
/// </summary>
public sealed class AuthStateTests : IDisposable
{
    // A low iteration count keeps these tests fast; the default (600 000) is what the server uses.
    private static readonly byte[] Hash = PasswordHash.Create("pw", iterations: 1_000).Encode();
    private readonly TempDirectory dir = new();
    private long index;

    private StorageOptions Options(string name) => new() { Directory = Path.Combine(dir.Path, name), KeyValueMemoryBytes = 1 << 22, KeyValueIndexBytes = 1 << 16, HistoryMemoryBytes = 1 << 22 };

    private CommandResult Apply(KeyValueStateMachine state, AuthOperation op, string name, string? target = null, byte[]? data = null, KeyAccess access = KeyAccess.None)
        => state.Apply(++index, 1, new AuthCommand(op, name, target, data, access))!;

    private void Populate(KeyValueStateMachine state)
    {
        Assert.Equal(CommandStatus.Applied, Apply(state, AuthOperation.UserAdd, "root", data: Hash).Status);
        Assert.Equal(CommandStatus.Applied, Apply(state, AuthOperation.UserAdd, "alice", data: Hash).Status);
        Assert.Equal(CommandStatus.Applied, Apply(state, AuthOperation.RoleAdd, "app").Status);
        Assert.Equal(CommandStatus.Applied, Apply(state, AuthOperation.RoleGrantPermission, "app", "app/", access: KeyAccess.ReadWrite).Status);
        Assert.Equal(CommandStatus.Applied, Apply(state, AuthOperation.RoleGrantPermission, "app", "shared/", access: KeyAccess.Read).Status);
        Assert.Equal(CommandStatus.Applied, Apply(state, AuthOperation.UserGrantRole, "alice", "app").Status);
    }

    [Fact]
    public void EnablingNeedsRootWithTheRootRoleAndRootCannotBeRemovedWhileOn()
    {
        using var state = new KeyValueStateMachine(Options("s"));
        var secret = new byte[32];
        Assert.Equal(CommandStatus.Conflict, Apply(state, AuthOperation.Enable, "auth", data: secret).Status);
        Populate(state);
        Assert.Equal(CommandStatus.Conflict, Apply(state, AuthOperation.Enable, "auth", data: secret).Status);
        Assert.False(state.Auth.Enabled);
        Assert.Equal(CommandStatus.Applied, Apply(state, AuthOperation.UserGrantRole, "root", AuthRole.Root).Status);
        Assert.Equal(CommandStatus.Rejected, Apply(state, AuthOperation.Enable, "auth", data: [1, 2]).Status);
        Assert.Equal(CommandStatus.Applied, Apply(state, AuthOperation.Enable, "auth", data: secret).Status);
        Assert.True(state.Auth.Enabled);

        Assert.Equal(CommandStatus.Conflict, Apply(state, AuthOperation.UserDelete, "root").Status);
        Assert.Equal(CommandStatus.Conflict, Apply(state, AuthOperation.UserRevokeRole, "root", AuthRole.Root).Status);
        Assert.Equal(CommandStatus.Conflict, Apply(state, AuthOperation.RoleDelete, AuthRole.Root).Status);
        Assert.Equal(CommandStatus.Conflict, Apply(state, AuthOperation.RoleGrantPermission, AuthRole.Root, "", access: KeyAccess.Read).Status);
        Assert.Equal(CommandStatus.Conflict, Apply(state, AuthOperation.UserAdd, "alice", data: Hash).Status);
        Assert.Equal(CommandStatus.NotFound, Apply(state, AuthOperation.UserGrantRole, "alice", "nope").Status);
        Assert.Equal(CommandStatus.NotFound, Apply(state, AuthOperation.UserGrantRole, "nobody", "app").Status);
        Assert.Equal(CommandStatus.Rejected, Apply(state, AuthOperation.UserAdd, "", data: Hash).Status);

        Assert.Equal(CommandStatus.Applied, Apply(state, AuthOperation.Disable, "auth").Status);
        Assert.False(state.Auth.Enabled);
        Assert.Equal(CommandStatus.Applied, Apply(state, AuthOperation.UserDelete, "root").Status);
    }

    [Fact]
    public void AGrantCoversTheKeysAndPrefixesUnderItsPrefixOnly()
    {
        using var state = new KeyValueStateMachine(Options("s"));
        Populate(state);
        var auth = state.Auth;
        Assert.True(auth.Allows("alice", "app/x", KeyAccess.Write));
        Assert.True(auth.Allows("alice", "app/", KeyAccess.Read));
        Assert.True(auth.Allows("alice", "shared/a", KeyAccess.Read));
        Assert.False(auth.Allows("alice", "shared/a", KeyAccess.Write));
        Assert.False(auth.Allows("alice", "app", KeyAccess.Read)); // as a prefix it would cover "apple"
        Assert.False(auth.Allows("alice", "", KeyAccess.Read));
        Assert.False(auth.Allows("ghost", "app/x", KeyAccess.Read));
        Assert.False(auth.Allows("root", "app/x", KeyAccess.Read)); // root has no role yet
        Assert.True(auth.HasAny("alice", KeyAccess.Write));

        // Deleting a role takes it from its users: a role of the same name added later grants nothing by surprise.
        Assert.Equal(CommandStatus.Applied, Apply(state, AuthOperation.RoleDelete, "app").Status);
        Assert.Empty(state.Auth.Users["alice"].Roles);
        Assert.Equal(CommandStatus.Applied, Apply(state, AuthOperation.RoleAdd, "app").Status);
        Assert.False(state.Auth.Allows("alice", "app/x", KeyAccess.Read));
    }

    [Fact]
    public async Task UsersRolesAndSettingsTravelInSnapshotsAndSurviveARestart()
    {
        var secret = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        using (var source = new KeyValueStateMachine(Options("source")))
        {
            Populate(source);
            Apply(source, AuthOperation.UserGrantRole, "root", AuthRole.Root);
            Apply(source, AuthOperation.Enable, "auth", data: secret);
            using var stream = new MemoryStream();
            var label = source.DumpState(stream, CancellationToken.None);
            using var installed = new KeyValueStateMachine(Options("installed"));
            await installed.InstallSnapshotAsync(new MemoryStream(stream.ToArray()), label.Index, 1, CancellationToken.None);
            AssertSameAuth(source.Auth, installed.Auth);
            await source.CheckpointAsync(CancellationToken.None);
        }

        using var reopened = new KeyValueStateMachine(Options("source"));
        Assert.True(reopened.Auth.Enabled);
        Assert.Equal(secret, reopened.Auth.Settings.TokenSecret);
        Assert.True(reopened.Auth.Users["alice"].Password.Verify("pw"));
        Assert.False(reopened.Auth.Users["alice"].Password.Verify("pW"));
        Assert.True(reopened.Auth.Allows("alice", "app/x", KeyAccess.Write));
    }

    [Fact]
    public void ADamagedRecordIsRefusedNotTrusted()
    {
        var user = new AuthUser("alice", PasswordHash.Decode(Hash), [.. new[] { "app" }]);
        var bytes = user.Encode();
        Assert.Equal(user.Roles, AuthUser.Decode(bytes).Roles);
        bytes[5] ^= 1;
        Assert.Throws<InvalidDataException>(() => AuthUser.Decode(bytes));
        var role = AuthRole.Empty("r").Encode();
        role[0] = 99;
        Assert.Throws<InvalidDataException>(() => AuthRole.Decode(role));
    }

    private static void AssertSameAuth(AuthState expected, AuthState actual)
    {
        Assert.Equal(expected.Enabled, actual.Enabled);
        Assert.Equal(expected.Settings.TokenSecret, actual.Settings.TokenSecret);
        Assert.Equal(expected.Users.Keys.Order(), actual.Users.Keys.Order());
        foreach (var (name, user) in expected.Users)
        {
            Assert.Equal(user.Roles, actual.Users[name].Roles);
            Assert.Equal(user.Password.Hash, actual.Users[name].Password.Hash);
        }

        Assert.Equal(expected.Roles.Keys.Order(), actual.Roles.Keys.Order());
        foreach (var (name, role) in expected.Roles)
            Assert.Equal(role.Permissions, actual.Roles[name].Permissions);
    }

    public void Dispose() => dir.Dispose();
}
