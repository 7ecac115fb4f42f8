using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using GlobalZone.StateMachine;

namespace GlobalZone.Consensus.Snapshots;

/// <summary>
/// The snapshot file a leader serves to members that need the whole state:
/// <c>GZSNAPF1</c>, format version (uint32 LE), the Raft index and term it is known by (int64 LE each), the state
/// stream (<see cref="KeyValueStateMachine.DumpState"/>, which names the index it reflects), then the SHA-256 of
/// every byte before it (32 bytes). The receiver checks the hash before it installs a byte.
/// </summary>
public static partial class SnapshotFile
{
    public const int CurrentVersion = 1;
    public const string Extension = ".gzsnap";
    private const int PrefixBytes = 8 + 4 + 16;
    private const int TrailerBytes = 32;

    /// <summary>Prefix, an empty state stream (header and end marker) and the trailer.</summary>
    public const long MinimumSize = PrefixBytes + 29 + TrailerBytes;

    private static ReadOnlySpan<byte> Magic => "GZSNAPF1"u8;

    /// <summary>Ids are file name stems this class made: <c>snap-INDEX-TERM-NONCE</c>.</summary>
    public static bool IsValidId(string id) => id.Length <= 80 && IdPattern().IsMatch(id);

    public static string NewId(long index, long term) => $"snap-{index}-{term}-{Guid.NewGuid():N}";

    /// <summary>Dumps <paramref name="state"/> into <paramref name="path"/> (without holding applies off; see DumpState).</summary>
    public static SnapshotFileInfo Write(string path, string id, KeyValueStateMachine state, long index, long term, CancellationToken token)
    {
        StateLabel label;
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
        {
            Span<byte> prefix = stackalloc byte[PrefixBytes];
            Magic.CopyTo(prefix);
            BinaryPrimitives.WriteUInt32LittleEndian(prefix[8..], CurrentVersion);
            BinaryPrimitives.WriteInt64LittleEndian(prefix[12..], index);
            BinaryPrimitives.WriteInt64LittleEndian(prefix[20..], term);
            file.Write(prefix);
            label = state.DumpState(file, token);
            file.Flush();
            // Hashed in a second pass: the state stream's header is written back at the end of the dump.
            file.Position = 0;
            var hash = SHA256.HashData(file);
            file.Position = file.Length;
            file.Write(hash);
            // Not forced to disk: the file only feeds transfers from this process (SnapshotFileStore deletes every file
            // it finds at start), and a receiver checks its SHA-256 before installing anything. Forcing 1 GB out took
            // seconds of a join's time for nothing.
            file.Flush();
            return new SnapshotFileInfo(id, path, index, term, label.Index, file.Length, Convert.ToHexStringLower(hash));
        }
    }

    /// <summary>
    /// Checks a received file against its descriptor: length, the trailer's hash and the hash of the content.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not the one described, or is damaged.</exception>
    public static async Task VerifyAsync(string path, SnapshotDescriptor descriptor, CancellationToken token)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        if (file.Length != descriptor.Size)
            throw new InvalidDataException($"Snapshot file {Path.GetFileName(path)} is {file.Length} bytes; its descriptor says {descriptor.Size}.");
        var prefix = new byte[PrefixBytes];
        await file.ReadExactlyAsync(prefix, token).ConfigureAwait(false);
        if (!prefix.AsSpan(0, 8).SequenceEqual(Magic))
            throw new InvalidDataException($"{Path.GetFileName(path)} is not a GlobalZone snapshot file.");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(prefix.AsSpan(8));
        if (version != CurrentVersion)
            throw new InvalidDataException($"Snapshot file format version {version} is not supported (this build reads {CurrentVersion}).");
        if (BinaryPrimitives.ReadInt64LittleEndian(prefix.AsSpan(12)) != descriptor.Index || BinaryPrimitives.ReadInt64LittleEndian(prefix.AsSpan(20)) != descriptor.Term)
            throw new InvalidDataException($"Snapshot file {Path.GetFileName(path)} is not known by index {descriptor.Index}, term {descriptor.Term}.");

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(prefix);
        var remaining = file.Length - PrefixBytes - TrailerBytes;
        var buffer = new byte[1 << 16];
        while (remaining > 0)
        {
            var read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), token).ConfigureAwait(false);
            if (read == 0)
                throw new InvalidDataException("The snapshot file is truncated.");
            hash.AppendData(buffer, 0, read);
            remaining -= read;
        }

        var trailer = new byte[TrailerBytes];
        await file.ReadExactlyAsync(trailer, token).ConfigureAwait(false);
        var actual = hash.GetHashAndReset();
        if (!actual.AsSpan().SequenceEqual(trailer))
            throw new InvalidDataException($"Snapshot file {Path.GetFileName(path)} is damaged: its content does not match its own checksum.");
        if (!string.Equals(Convert.ToHexStringLower(actual), descriptor.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"Snapshot file {Path.GetFileName(path)} is not the one described (SHA-256 {Convert.ToHexStringLower(actual)}, expected {descriptor.Sha256}).");
    }

    /// <summary>Opens a verified file positioned at its state stream.</summary>
    public static FileStream OpenStateStream(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        file.Position = PrefixBytes;
        return file;
    }

    [GeneratedRegex("^snap-[0-9]{1,19}-[0-9]{1,19}-[0-9a-f]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}

/// <summary>A snapshot file on disk, as its writer knows it.</summary>
public sealed record SnapshotFileInfo(string Id, string Path, long Index, long Term, long ReflectedIndex, long Size, string Sha256);
