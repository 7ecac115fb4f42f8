using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;

namespace GlobalZone.Contracts;

/// <summary>What a backup file says about itself, before its body.</summary>
public sealed record BackupHeader
{
    public int FormatVersion { get; init; } = BackupFormat.CurrentVersion;

    /// <summary>The cluster the backup was taken from.</summary>
    public required string ClusterName { get; init; }

    /// <summary>The member that wrote it.</summary>
    public required string MemberId { get; init; }

    /// <summary>The cluster revision the whole state is at.</summary>
    public required long Revision { get; init; }

    /// <summary>The Raft index the state reflects (informational: a restored cluster starts its own log there).</summary>
    public required long RaftIndex { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Length of the body (the state stream) in bytes.</summary>
    public required long BodyLength { get; init; }

    /// <summary>SHA-256 of the body, lower-case hex.</summary>
    public required string BodySha256 { get; init; }
}

/// <summary>
/// The backup file: <c>GZBACKUP</c>, a format version (uint32 LE), the header length (uint32 LE), the header as
/// JSON, then the body: the state machine's snapshot stream, exactly as a member writes it for a lagging follower.
/// The checksum sits in the header (the server writes the body to a file first), so a reader can verify the body
/// in one pass before trusting a byte of it.
/// </summary>
public static class BackupFormat
{
    public const int CurrentVersion = 1;

    /// <summary>Media type of <c>GET /v1/backup</c>.</summary>
    public const string MediaType = "application/vnd.globalzone.backup";

    private const int MaxHeaderBytes = 64 << 10;

    public static ReadOnlySpan<byte> Magic => "GZBACKUP"u8;

    public static byte[] EncodeHeader(BackupHeader header)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteNumber("formatVersion", header.FormatVersion);
            writer.WriteString("clusterName", header.ClusterName);
            writer.WriteString("memberId", header.MemberId);
            writer.WriteNumber("revision", header.Revision);
            writer.WriteNumber("raftIndex", header.RaftIndex);
            writer.WriteString("createdAt", header.CreatedAt);
            writer.WriteNumber("bodyLength", header.BodyLength);
            writer.WriteString("bodySha256", header.BodySha256);
            writer.WriteEndObject();
        }

        var body = json.ToArray();
        var bytes = new byte[Magic.Length + 8 + body.Length];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(Magic.Length), (uint)header.FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(Magic.Length + 4), (uint)body.Length);
        body.CopyTo(bytes, Magic.Length + 8);
        return bytes;
    }

    /// <summary>Reads the header and leaves <paramref name="source"/> at the first byte of the body.</summary>
    /// <exception cref="InvalidDataException">Not a backup, or a format version this build does not read.</exception>
    public static async Task<BackupHeader> ReadHeaderAsync(Stream source, CancellationToken token)
    {
        var prefix = new byte[Magic.Length + 8];
        try
        {
            await source.ReadExactlyAsync(prefix, token).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The file is too short to be a GlobalZone backup.", e);
        }

        if (!prefix.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException("Not a GlobalZone backup (bad magic).");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(prefix.AsSpan(Magic.Length));
        if (version != CurrentVersion)
            throw new InvalidDataException($"Backup format version {version} is not supported (this build reads {CurrentVersion}).");
        var length = BinaryPrimitives.ReadUInt32LittleEndian(prefix.AsSpan(Magic.Length + 4));
        if (length is 0 or > MaxHeaderBytes)
            throw new InvalidDataException($"Backup header length {length} is not plausible.");
        var json = new byte[length];
        try
        {
            await source.ReadExactlyAsync(json, token).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The backup header is truncated.", e);
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return new BackupHeader
            {
                FormatVersion = root.GetProperty("formatVersion").GetInt32(),
                ClusterName = root.GetProperty("clusterName").GetString() ?? "",
                MemberId = root.GetProperty("memberId").GetString() ?? "",
                Revision = root.GetProperty("revision").GetInt64(),
                RaftIndex = root.GetProperty("raftIndex").GetInt64(),
                CreatedAt = root.GetProperty("createdAt").GetDateTimeOffset(),
                BodyLength = root.GetProperty("bodyLength").GetInt64(),
                BodySha256 = root.GetProperty("bodySha256").GetString() ?? "",
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException("The backup header is not valid: " + e.Message, e);
        }
    }

    /// <summary>
    /// Reads the header, then the whole body, checking its length and SHA-256 against the header. Leaves the stream
    /// at the end. Returns the header.
    /// </summary>
    /// <exception cref="InvalidDataException">Truncated, extended or corrupted.</exception>
    public static async Task<BackupHeader> VerifyAsync(Stream source, CancellationToken token)
    {
        var header = await ReadHeaderAsync(source, token).ConfigureAwait(false);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }

        if (total != header.BodyLength)
            throw new InvalidDataException($"The backup body is {total} bytes; its header says {header.BodyLength}.");
        // ToHexStringLower is .NET 9+; this file also builds for net8 (the client package).
        var actual = Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
        if (!string.Equals(actual, header.BodySha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"The backup body's SHA-256 is {actual}; its header says {header.BodySha256}. The file is corrupted.");
        return header;
    }
}
