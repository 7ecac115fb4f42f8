using System.Buffers;
using System.Collections.Immutable;

namespace GlobalZone.StateMachine.Auth;

/// <summary>What a grant allows on the keys under its prefix. Values are part of the stored format.</summary>
[Flags]
public enum KeyAccess : byte
{
    None = 0,
    Read = 1,
    Write = 2,
    ReadWrite = Read | Write,
}

/// <summary>A role: access to key prefixes (etcd's <c>grant-permission --prefix</c>). The empty prefix is every key.</summary>
public sealed record AuthRole(string Name, ImmutableSortedDictionary<string, KeyAccess> Permissions)
{
    /// <summary>
    /// The built-in administrator role (as etcd's): every key, plus membership, backup, standby, users, roles and
    /// auth itself. It always exists and cannot be changed or deleted.
    /// </summary>
    public const string Root = "root";

    public static AuthRole Empty(string name) => new(name, ImmutableSortedDictionary.Create<string, KeyAccess>(StringComparer.Ordinal));

    public byte[] Encode()
    {
        var writer = new ArrayBufferWriter<byte>(128);
        AuthRecordCodec.WriteString(writer, Name);
        AuthRecordCodec.WriteInt32(writer, Permissions.Count);
        foreach (var (prefix, access) in Permissions)
        {
            AuthRecordCodec.WriteString(writer, prefix);
            AuthRecordCodec.WriteInt32(writer, (int)access);
        }

        return AuthRecordCodec.Seal(writer);
    }

    public static AuthRole Decode(ReadOnlySpan<byte> bytes)
    {
        var body = AuthRecordCodec.Open(bytes, "role");
        var name = AuthRecordCodec.ReadString(ref body);
        var count = AuthRecordCodec.ReadInt32(ref body);
        if (count < 0 || count > body.Length)
            throw new InvalidDataException("The stored role is truncated.");
        var permissions = ImmutableSortedDictionary.CreateBuilder<string, KeyAccess>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var prefix = AuthRecordCodec.ReadString(ref body);
            permissions[prefix] = (KeyAccess)AuthRecordCodec.ReadInt32(ref body);
        }

        return new AuthRole(name, permissions.ToImmutable());
    }
}
