using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using GlobalZone.StateMachine;

namespace GlobalZone.Consensus.Snapshots;

/// <summary>
/// The snapshot file a leader serves to members that need the whole state:
/// <c>GZSNAPF1</c>, format version (uint32 LE), the Raft index and term it is known by (int64 LE each), the state
/// stream (<see cref="KeyValueStateMachine.DumpState(Stream, SnapshotStreamLayout, CancellationToken)"/>; version 3
/// carries its label at its end), then a SHA-256 of every byte before it (32 bytes; which order the bytes are hashed in
/// depends on the version, see <see cref="SnapshotContentHash"/>).
/// </summary>
/// <remarks>
/// Version 3 is written strictly in order, so a member can fetch the file while the leader still writes it (see
/// <see cref="GrowingFile"/>) and a new member can install it while it arrives; the trailer, last, vouches for all of
/// it. Versions 1 and 2 (earlier releases) are still read.
/// </remarks>
public static partial class SnapshotFile
{
    /// <summary>3: written in order, label at the end of the state stream, hashed in file order.</summary>
    public const int CurrentVersion = 3;
    public const string Extension = ".gzsnap";
    internal const int PrefixBytes = 8 + 4 + 16;
    internal const int StateHeaderBytes = KeyValueStateMachine.SnapshotHeaderBytes;
    internal const int TrailerBytes = 32;

    /// <summary>Prefix, an empty state stream (magic, end marker, label) and the trailer.</summary>
    public const long MinimumSize = PrefixBytes + StateHeaderBytes + 1 + TrailerBytes;

    // Writes reach the file (and readers) in pieces of this size.
    private const int WriteChunkBytes = 1 << 20;

    internal static ReadOnlySpan<byte> Magic => "GZSNAPF1"u8;

    /// <summary>Ids are file name stems this class made: <c>snap-INDEX-TERM-NONCE</c>.</summary>
    public static bool IsValidId(string id) => id.Length <= 80 && IdPattern().IsMatch(id);

    public static string NewId(long index, long term) => $"snap-{index}-{term}-{Guid.NewGuid():N}";

    /// <summary>Dumps <paramref name="state"/> into a new file at <paramref name="path"/>.</summary>
    public static SnapshotFileInfo Write(string path, string id, KeyValueStateMachine state, long index, long term, CancellationToken token)
        => Write(new GrowingFile(path), id, state, index, term, TransferPacer.Unlimited, token);

    /// <summary>
    /// Dumps <paramref name="state"/> (without holding applies off; see DumpState) into a new file at
    /// <paramref name="target"/>'s path, reporting each piece to its readers as it is written; completes it, or fails
    /// it and rethrows. Each piece passes <paramref name="pacer"/> first, so the dump reads the state no faster than its rate.
    /// </summary>
    public static SnapshotFileInfo Write(GrowingFile target, string id, KeyValueStateMachine state, long index, long term, TransferPacer pacer, CancellationToken token)
    {
        try
        {
            StateLabel label;
            // No FileStream buffer: what the appender reports as written must be in the file for readers to see.
            using var file = new FileStream(target.Path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.Read | FileShare.Delete, BufferSize = 0,
            });
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var buffered = new BufferedStream(new HashingAppender(file, hash, target, pacer, token), WriteChunkBytes))
            {
                Span<byte> prefix = stackalloc byte[PrefixBytes];
                Magic.CopyTo(prefix);
                BinaryPrimitives.WriteUInt32LittleEndian(prefix[8..], CurrentVersion);
                BinaryPrimitives.WriteInt64LittleEndian(prefix[12..], index);
                BinaryPrimitives.WriteInt64LittleEndian(prefix[20..], term);
                buffered.Write(prefix);
                label = state.DumpState(buffered, SnapshotStreamLayout.LabelAtEnd, token);
                buffered.Flush();
            }

            var digest = hash.GetHashAndReset();
            file.Write(digest);
            // Not forced to disk: the file only feeds transfers from this process (SnapshotFileStore deletes every file
            // it finds at start), and a receiver checks its SHA-256. Forcing 1 GB out took seconds of a join's time.
            target.Complete(file.Length);
            return new SnapshotFileInfo(id, target.Path, index, term, label.Index, file.Length, Convert.ToHexStringLower(digest));
        }
        catch (Exception e)
        {
            target.Fail(e);
            throw;
        }
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

/// <summary>A snapshot file on disk, as its writer knows it (size and hash are 0 and empty while it is written).</summary>
public sealed record SnapshotFileInfo(string Id, string Path, long Index, long Term, long ReflectedIndex, long Size, string Sha256)
{
    /// <summary>The file as it grows: readers may follow it before it is complete.</summary>
    public GrowingFile? Growing { get; init; }
}

/// <summary>Writes a snapshot file strictly in order: each write is hashed, written and reported to its readers.</summary>
internal sealed class HashingAppender(FileStream file, IncrementalHash hash, GrowingFile growing, TransferPacer pacer, CancellationToken token) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => file.Length;

    public override long Position
    {
        get => file.Position;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        pacer.Pace(buffer.Length, token);
        hash.AppendData(buffer);
        file.Write(buffer);
        growing.Advance(file.Position);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
