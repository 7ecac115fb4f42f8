using System.Buffers;
using System.Collections.Immutable;

namespace GlobalZone.StateMachine.Auth;

/// <summary>A user: the hash of their password and the roles granted to them.</summary>
public sealed record AuthUser(string Name, PasswordHash Password, ImmutableSortedSet<string> Roles)
{
    public byte[] Encode()
    {
        var writer = new ArrayBufferWriter<byte>(128);
        AuthRecordCodec.WriteString(writer, Name);
        AuthRecordCodec.WriteBytes(writer, Password.Encode());
        AuthRecordCodec.WriteInt32(writer, Roles.Count);
        foreach (var role in Roles)
            AuthRecordCodec.WriteString(writer, role);
        return AuthRecordCodec.Seal(writer);
    }

    public static AuthUser Decode(ReadOnlySpan<byte> bytes)
    {
        var body = AuthRecordCodec.Open(bytes, "user");
        var name = AuthRecordCodec.ReadString(ref body);
        var password = PasswordHash.Decode(AuthRecordCodec.ReadBytes(ref body));
        var count = AuthRecordCodec.ReadInt32(ref body);
        if (count < 0 || count > body.Length)
            throw new InvalidDataException("The stored user is truncated.");
        var roles = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
            roles.Add(AuthRecordCodec.ReadString(ref body));
        return new AuthUser(name, password, roles.ToImmutable());
    }
}
