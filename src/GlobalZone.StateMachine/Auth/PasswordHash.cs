using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace GlobalZone.StateMachine.Auth;

/// <summary>
/// A salted PBKDF2-HMAC-SHA256 hash of a password (the BCL's <see cref="Rfc2898DeriveBytes.Pbkdf2(byte[], byte[], int, HashAlgorithmName, int)"/>).
/// Computed by the member that receives the password, so the replicated log and the state never hold the password
/// itself; the iteration count is stored with the hash so it can be raised later without breaking old users.
/// </summary>
public sealed record PasswordHash(byte[] Salt, int Iterations, byte[] Hash)
{
    /// <summary>OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 600_000;

    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public static PasswordHash Create(string password, int iterations = DefaultIterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return new PasswordHash(salt, iterations, Derive(password, salt, iterations));
    }

    public bool Verify(string password)
        => Iterations > 0 && CryptographicOperations.FixedTimeEquals(Derive(password, Salt, Iterations), Hash);

    private static byte[] Derive(string password, byte[] salt, int iterations)
        => Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);

    public byte[] Encode()
    {
        var writer = new ArrayBufferWriter<byte>(64);
        AuthRecordCodec.WriteBytes(writer, Salt);
        AuthRecordCodec.WriteInt32(writer, Iterations);
        AuthRecordCodec.WriteBytes(writer, Hash);
        return writer.WrittenSpan.ToArray();
    }

    public static PasswordHash Decode(ReadOnlySpan<byte> bytes)
    {
        var salt = AuthRecordCodec.ReadBytes(ref bytes);
        var iterations = AuthRecordCodec.ReadInt32(ref bytes);
        var hash = AuthRecordCodec.ReadBytes(ref bytes);
        return new PasswordHash(salt, iterations, hash);
    }
}
