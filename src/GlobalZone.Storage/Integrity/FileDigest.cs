using System.Security.Cryptography;

namespace GlobalZone.Storage.Integrity;

/// <summary>SHA-256 of a whole file or of its first bytes, as lowercase hex.</summary>
public static class FileDigest
{
    /// <summary>Hash of the first <paramref name="length"/> bytes; null when the file is missing or shorter.</summary>
    public static string? OfPrefix(string path, long length)
    {
        if (!File.Exists(path))
            return null;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        if (stream.Length < length)
            return null;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendRange(hash, stream, 0, length);
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    /// <summary>Feeds bytes [from, from + count) of <paramref name="stream"/> into <paramref name="hash"/>.</summary>
    public static void AppendRange(IncrementalHash hash, Stream stream, long from, long count)
    {
        stream.Position = from;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            while (count > 0)
            {
                var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
                if (read == 0)
                    throw new EndOfStreamException();
                hash.AppendData(buffer, 0, read);
                count -= read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Hash of a byte span, as lowercase hex.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
