using System.Buffers;

namespace GlobalZone.StateMachine.Auth;

/// <summary>
/// Whether auth is enforced, and the cluster's token-signing secret (HMAC-SHA256 key). The secret is replicated so that
/// every member verifies a token locally, without a Raft round; a new one is drawn at each enable, so tokens issued
/// before a disable stop working.
/// </summary>
public sealed record AuthSettings(bool Enabled, byte[] TokenSecret)
{
    public static readonly AuthSettings Off = new(false, []);

    public byte[] Encode()
    {
        var writer = new ArrayBufferWriter<byte>(64);
        AuthRecordCodec.WriteInt32(writer, Enabled ? 1 : 0);
        AuthRecordCodec.WriteBytes(writer, TokenSecret);
        return AuthRecordCodec.Seal(writer);
    }

    public static AuthSettings Decode(ReadOnlySpan<byte> bytes)
    {
        var body = AuthRecordCodec.Open(bytes, "auth settings");
        var enabled = AuthRecordCodec.ReadInt32(ref body) != 0;
        return new AuthSettings(enabled, AuthRecordCodec.ReadBytes(ref body));
    }
}
