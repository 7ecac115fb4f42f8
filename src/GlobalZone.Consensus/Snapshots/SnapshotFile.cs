using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using GlobalZone.StateMachine;

namespace GlobalZone.Consensus.Snapshots;

/// <summary>
/// The snapshot file a leader serves to members that need the whole state:
/// <c>GZSNAPF1</c>, format version (uint32 LE), the Raft index and term it is known by (int64 LE each), the state
/// stream (<see cref="KeyValueStateMachine.DumpState"/>, which names the index it reflects in its header), then a
/// SHA-256 of every byte before it (32 bytes; which order the bytes are hashed in depends on the version, see
/// <see cref="SnapshotContentHash"/>). The receiver checks the hash before it installs a byte.
/// </summary>
public static partial class SnapshotFile
{
    /// <summary>2: the state stream's header is hashed last, so the file is hashed as it is written and as it arrives.</summary>
    public const int CurrentVersion = 2;
    public const string Extension = ".gzsnap";
    internal const int PrefixBytes = 8 + 4 + 16;
    internal const int StateHeaderBytes = KeyValueStateMachine.SnapshotHeaderBytes;
    internal const int TrailerBytes = 32;

    /// <summary>Prefix, an empty state stream (header and end marker) and the trailer.</summary>
    public const long MinimumSize = PrefixBytes + StateHeaderBytes + 1 + TrailerBytes;

    internal static ReadOnlySpan<byte> Magic => "GZSNAPF1"u8;

    /// <summary>Ids are file name stems this class made: <c>snap-INDEX-TERM-NONCE</c>.</summary>
    public static bool IsValidId(string id) => id.Length <= 80 && IdPattern().IsMatch(id);

    public static string NewId(long index, long term) => $"snap-{index}-{term}-{Guid.NewGuid():N}";

    /// <summary>Dumps <paramref name="state"/> into <paramref name="path"/> (without holding applies off; see DumpState).</summary>
    public static SnapshotFileInfo Write(string path, string id, KeyValueStateMachine state, long index, long term, CancellationToken token)
    {
        StateLabel label;
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> prefix = stackalloc byte[PrefixBytes];
        Magic.CopyTo(prefix);
        BinaryPrimitives.WriteUInt32LittleEndian(prefix[8..], CurrentVersion);
        BinaryPrimitives.WriteInt64LittleEndian(prefix[12..], index);
        BinaryPrimitives.WriteInt64LittleEndian(prefix[20..], term);
        file.Write(prefix);
        hash.AppendData(prefix);
        // The stream after its header is hashed as it is written; the header, written back at the end, is hashed last.
        using (var buffered = new BufferedStream(new StreamBodyHashing(file, hash, PrefixBytes + StateHeaderBytes), 1 << 16))
        {
            label = state.DumpState(buffered, token);
            buffered.Flush();
        }

        Span<byte> stateHeader = stackalloc byte[StateHeaderBytes];
        file.Position = PrefixBytes;
        file.ReadExactly(stateHeader);
        hash.AppendData(stateHeader);
        var digest = hash.GetHashAndReset();
        file.Position = file.Length;
        file.Write(digest);
        // Not forced to disk: the file only feeds transfers from this process (SnapshotFileStore deletes every file
        // it finds at start), and a receiver checks its SHA-256 before installing anything. Forcing 1 GB out took
        // seconds of a join's time for nothing.
        file.Flush();
        return new SnapshotFileInfo(id, path, index, term, label.Index, file.Length, Convert.ToHexStringLower(digest));
    }

    /// <summary>
    /// Checks a file on disk against its descriptor: length, the trailer's hash and the hash of the content.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not the one described, or is damaged.</exception>
    public static async Task VerifyAsync(string path, SnapshotDescriptor descriptor, CancellationToken token)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        if (file.Length != descriptor.Size)
            throw new InvalidDataException($"Snapshot file {Path.GetFileName(path)} is {file.Length} bytes; its descriptor says {descriptor.Size}.");
        using var hash = new SnapshotContentHash(descriptor.Size);
        await FeedAsync(file, hash, file.Length, token).ConfigureAwait(false);
        hash.Check(descriptor, Path.GetFileName(path));
    }

    /// <summary>Feeds the next <paramref name="count"/> bytes of <paramref name="source"/> into <paramref name="hash"/>.</summary>
    internal static async Task FeedAsync(Stream source, SnapshotContentHash hash, long count, CancellationToken token)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            while (count > 0)
            {
                var read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), token).ConfigureAwait(false);
                if (read == 0)
                    throw new InvalidDataException("The snapshot file is truncated.");
                hash.Append(buffer.AsSpan(0, read));
                count -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
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
