using System.Buffers.Binary;
using System.IO.Hashing;
using FASTER.core;
using Microsoft.Win32.SafeHandles;

namespace GlobalZone.Consensus.Log;

/// <summary>
/// Where the Raft log's FasterLog keeps its commit points: one small file with two fixed slots written in turn, each
/// write flushed to disk before FasterLog reports the commit.
/// </summary>
/// <remarks>
/// <para>
/// FasterLog's default commit manager writes every commit point as a new file through a new device and deletes the
/// older ones: a file creation, a write, a flush and a deletion for every group commit, on the path of every
/// acknowledged write. Here a commit point is one 4 KiB write at a fixed offset and one flush, to a handle kept open.
/// </para>
/// <para>
/// Slot layout: <c>"GZCP"[format:1][commit number:8][length:4][metadata][xxhash64 of what precedes:8]</c>. Commit n goes
/// to slot n mod 2, so the newest complete commit point always survives a write torn by a crash (the torn one fails its
/// checksum and is skipped: its commit was never reported, so nothing acknowledged depended on it).
/// </para>
/// </remarks>
internal sealed class CommitPointFile : ILogCommitManager
{
    public const string FileName = "commit-points";
    private const int SlotBytes = 4096;
    private const byte FormatVersion = 1;
    private const int HeaderBytes = 4 + 1 + 8 + 4;
    private static readonly byte[] Magic = "GZCP"u8.ToArray();

    private readonly SafeFileHandle handle;
    private readonly Lock gate = new();

    public CommitPointFile(string folder)
    {
        Directory.CreateDirectory(folder);
        FilePath = Path.Combine(folder, FileName);
        var created = !File.Exists(FilePath);
        handle = File.OpenHandle(FilePath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        if (created)
            NodeStateFile.FlushFolder(folder);
    }

    public string FilePath { get; }

    public void Commit(long beginAddress, long untilAddress, byte[] commitMetadata, long commitNum, bool forceWriteMetadata)
    {
        if (HeaderBytes + commitMetadata.Length + 8 > SlotBytes)
            throw new InvalidOperationException($"FasterLog commit metadata of {commitMetadata.Length} bytes does not fit a {SlotBytes}-byte commit slot.");
        var slot = new byte[SlotBytes];
        Magic.CopyTo(slot, 0);
        slot[4] = FormatVersion;
        BinaryPrimitives.WriteInt64LittleEndian(slot.AsSpan(5), commitNum);
        BinaryPrimitives.WriteInt32LittleEndian(slot.AsSpan(13), commitMetadata.Length);
        commitMetadata.CopyTo(slot, HeaderBytes);
        var checked_ = HeaderBytes + commitMetadata.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(slot.AsSpan(checked_), XxHash64.HashToUInt64(slot.AsSpan(0, checked_)));
        lock (gate)
        {
            RandomAccess.Write(handle, slot, (commitNum & 1) * SlotBytes);
            RandomAccess.FlushToDisk(handle);
        }
    }

    public IEnumerable<long> ListCommits()
        => ReadSlots().Select(s => s.CommitNum).OrderDescending().ToList();

    public byte[] GetCommitMetadata(long commitNum)
        => ReadSlots().FirstOrDefault(s => s.CommitNum == commitNum).Metadata
           ?? throw new InvalidOperationException($"Commit point {commitNum} is not in {FilePath}.");

    /// <summary>Old commit points are overwritten in place; nothing to remove.</summary>
    public void RemoveCommit(long commitNum)
    {
    }

    public void RemoveAllCommits()
    {
        lock (gate)
        {
            RandomAccess.Write(handle, new byte[2 * SlotBytes], 0);
            RandomAccess.FlushToDisk(handle);
        }
    }

    public void OnRecovery(long commitNum)
    {
    }

    /// <summary>The slots that hold a whole commit point (a torn or blank slot is left out).</summary>
    private List<(long CommitNum, byte[] Metadata)> ReadSlots()
    {
        var found = new List<(long, byte[])>(2);
        var slot = new byte[SlotBytes];
        lock (gate)
        {
            for (var i = 0; i < 2; i++)
            {
                var read = RandomAccess.Read(handle, slot, i * SlotBytes);
                if (read < HeaderBytes + 8 || !slot.AsSpan(0, 4).SequenceEqual(Magic) || slot[4] != FormatVersion)
                    continue;
                var length = BinaryPrimitives.ReadInt32LittleEndian(slot.AsSpan(13));
                if (length < 0 || HeaderBytes + length + 8 > read)
                    continue;
                var end = HeaderBytes + length;
                if (XxHash64.HashToUInt64(slot.AsSpan(0, end)) != BinaryPrimitives.ReadUInt64LittleEndian(slot.AsSpan(end)))
                    continue;
                found.Add((BinaryPrimitives.ReadInt64LittleEndian(slot.AsSpan(5)), slot.AsSpan(HeaderBytes, length).ToArray()));
            }
        }

        return found;
    }

    public void Dispose() => handle.Dispose();
}
