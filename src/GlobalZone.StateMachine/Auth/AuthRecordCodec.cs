using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace GlobalZone.StateMachine.Auth;

/// <summary>
/// The stored form of the auth records (users, roles, settings): <c>[format:1][body][checksum:8]</c>, the checksum being
/// the first 8 bytes of SHA-256 over format and body. A record that fails it is damage, not a user to trust or drop
/// silently: decoding throws. Strings are length-prefixed UTF-8.
/// </summary>
internal static class AuthRecordCodec
{
    public const byte FormatVersion = 1;
    private const int ChecksumBytes = 8;

    public static byte[] Seal(ArrayBufferWriter<byte> body)
    {
        var bytes = new byte[1 + body.WrittenCount + ChecksumBytes];
        bytes[0] = FormatVersion;
        body.WrittenSpan.CopyTo(bytes.AsSpan(1));
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - ChecksumBytes)).AsSpan(0, ChecksumBytes).CopyTo(bytes.AsSpan(bytes.Length - ChecksumBytes));
        return bytes;
    }

    /// <summary>The body of a sealed record.</summary>
    /// <exception cref="InvalidDataException">Unknown format or a checksum mismatch.</exception>
    public static ReadOnlySpan<byte> Open(ReadOnlySpan<byte> bytes, string what)
    {
        if (bytes.Length < 1 + ChecksumBytes || bytes[0] != FormatVersion)
            throw new InvalidDataException($"The stored {what} is of an unknown format.");
        var content = bytes[..^ChecksumBytes];
        if (!SHA256.HashData(content).AsSpan(0, ChecksumBytes).SequenceEqual(bytes[^ChecksumBytes..]))
            throw new InvalidDataException($"The stored {what} is damaged (its checksum does not match its content).");
        return content[1..];
    }

    public static void WriteString(ArrayBufferWriter<byte> writer, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        BinaryPrimitives.WriteInt32LittleEndian(writer.GetSpan(4), length);
        writer.Advance(4);
        Encoding.UTF8.GetBytes(value, writer.GetSpan(length));
        writer.Advance(length);
    }

    public static void WriteBytes(ArrayBufferWriter<byte> writer, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(writer.GetSpan(4), value.Length);
        writer.Advance(4);
        writer.Write(value);
    }

    public static void WriteInt32(ArrayBufferWriter<byte> writer, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(writer.GetSpan(4), value);
        writer.Advance(4);
    }

    public static int ReadInt32(ref ReadOnlySpan<byte> span)
    {
        if (span.Length < 4)
            throw new InvalidDataException("A stored auth record is truncated.");
        var value = BinaryPrimitives.ReadInt32LittleEndian(span);
        span = span[4..];
        return value;
    }

    public static byte[] ReadBytes(ref ReadOnlySpan<byte> span)
    {
        var length = ReadInt32(ref span);
        if (length < 0 || length > span.Length)
            throw new InvalidDataException("A stored auth record is truncated.");
        var value = span[..length].ToArray();
        span = span[length..];
        return value;
    }

    public static string ReadString(ref ReadOnlySpan<byte> span) => Encoding.UTF8.GetString(ReadBytes(ref span));
}
