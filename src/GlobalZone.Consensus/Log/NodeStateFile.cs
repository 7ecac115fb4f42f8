using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using DotNext.Net.Cluster;
using GlobalZone.Storage.Integrity;

namespace GlobalZone.Consensus.Log;

/// <summary>
/// Raft's term and vote, made durable before either is used (a vote is answered only after this file says so), and a
/// commit index this member knew (a hint written now and then, so a restarted member applies what it knew was
/// committed before it serves; Raft does not need it).
/// </summary>
/// <remarks>
/// Layout: <c>"GZNS"[format:1][term:8][commit:8][voted:1][member id][xxhash64:8]</c>, written to a temporary file, flushed to
/// disk, renamed over the old one and the folder flushed, so a crash leaves the old or the new state whole, never a
/// mix. Terms change only at elections, so a file write per change costs nothing on the write path.
/// </remarks>
internal sealed class NodeStateFile
{
    public const string FileName = "node-state";
    private const byte FormatVersion = 1;
    private static readonly byte[] Magic = "GZNS"u8.ToArray();

    private readonly string path;
    private readonly string folder;

    public NodeStateFile(string folder)
    {
        this.folder = folder;
        path = Path.Combine(folder, FileName);
    }

    public string FilePath => path;

    public bool Exists => File.Exists(path);

    /// <summary>The stored term and vote; (0, null) when the file does not exist yet.</summary>
    /// <exception cref="StorageIntegrityException">The file is damaged.</exception>
    public (long Term, ClusterMemberId? Vote, long CommitHint) Load()
    {
        if (!File.Exists(path))
            return (0, null, 0);
        var bytes = File.ReadAllBytes(path);
        var idBytes = ClusterMemberId.Size;
        var expected = Size;
        if (bytes.Length != expected || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw RaftLogDamage.At(path, $"{bytes.Length} bytes, not a node-state file of {expected} bytes");
        if (bytes[Magic.Length] != FormatVersion)
            throw RaftLogDamage.At(path, $"format {bytes[Magic.Length]}, expected {FormatVersion}");
        var body = bytes.AsSpan(0, expected - 8);
        if (XxHash64.HashToUInt64(body) != BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(expected - 8)))
            throw RaftLogDamage.At(path, "checksum mismatch");
        var term = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(Magic.Length + 1));
        var commit = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(Magic.Length + 9));
        var voted = bytes[Magic.Length + 17] == 1;
        return (term, voted ? new ClusterMemberId(bytes.AsSpan(Magic.Length + 18, idBytes)) : null, commit);
    }

    private static int Size => Magic.Length + 1 + 8 + 8 + 1 + ClusterMemberId.Size + 8;

    public async ValueTask SaveAsync(long term, ClusterMemberId? vote, long commitHint, CancellationToken token)
    {
        var idBytes = ClusterMemberId.Size;
        var bytes = new byte[Size];
        Magic.CopyTo(bytes, 0);
        bytes[Magic.Length] = FormatVersion;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(Magic.Length + 1), term);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(Magic.Length + 9), commitHint);
        if (vote is { } id)
        {
            bytes[Magic.Length + 17] = 1;
            id.Format(bytes.AsSpan(Magic.Length + 18, idBytes));
        }

        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(bytes.Length - 8), XxHash64.HashToUInt64(bytes.AsSpan(0, bytes.Length - 8)));
        var temporary = path + ".tmp";
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            await file.WriteAsync(bytes, token).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        FlushFolder(folder);
    }

    /// <summary>
    /// Makes a rename durable: on Linux the new name lives in the folder, which needs its own fsync. .NET refuses to
    /// open a folder as a file, hence libc.
    /// </summary>
    internal static void FlushFolder(string folder)
    {
        if (!OperatingSystem.IsLinux())
            return;
        var fd = Native.open(folder, 0 /* O_RDONLY */);
        if (fd < 0)
            throw new IOException($"Cannot open folder {folder} to flush it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (Native.fsync(fd) != 0)
                throw new IOException($"fsync of folder {folder} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = Native.close(fd);
        }
    }

    private static class Native
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);
    }
}
