using FASTER.core;
using GlobalZone.Storage;

namespace GlobalZone.UnitTests;

/// <summary>The revision history at its default page size: revisions larger than a page, and a crash between parts.</summary>
public sealed class RevisionHistoryTests : IDisposable
{
    private readonly TempDirectory dir = new();

    private StorageOptions Options => new() { Directory = dir.Path };

    private static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task Revisions_of_any_size_read_back_whole_and_in_order()
    {
        using var history = new RevisionHistory(Options);
        var sizes = new[] { 10, history.MaxPartBytes, history.MaxPartBytes + 1, 5 * (1 << 20) + 17, 0, 3 };
        for (var i = 0; i < sizes.Length; i++)
            history.Append(i + 1, Payload(sizes[i], i));
        await history.CommitAsync(CancellationToken.None);

        var read = history.ReadCommitted(1, long.MaxValue, 100);
        Assert.Equal(Enumerable.Range(1, sizes.Length).Select(r => (long)r), read.Select(r => r.Revision));
        for (var i = 0; i < sizes.Length; i++)
            Assert.Equal(Payload(sizes[i], i), read[i].Payload);
        // Reading from the middle starts at that revision's first part.
        Assert.Equal(5, history.ReadCommitted(5, 5, 10).Single().Revision);
    }

    [Fact]
    public async Task A_revision_cut_off_between_its_parts_is_dropped_at_recovery_and_written_whole_again()
    {
        var whole = Payload(3 * (1 << 20), 1);
        using (var history = new RevisionHistory(Options))
        {
            history.Append(1, whole);
            await history.CommitAsync(CancellationToken.None);
        }

        // A crash after the first part of revision 2 reached the log: write that part alone, as the history would.
        var path = Path.Combine(dir.Path, RevisionHistory.FolderName);
        using (var device = Devices.CreateLogDevice(Path.Combine(path, "history.log"), recoverDevice: true))
        using (var commits = new DeviceLogCommitCheckpointManager(new LocalStorageNamedDeviceFactory(), new DefaultCheckpointNamingScheme(Path.Combine(path, "commits"))))
        using (var settings = new FasterLogSettings { LogDevice = device, LogCommitManager = commits, LogChecksum = LogChecksumType.PerEntry, MemorySize = Options.HistoryMemoryBytes, PageSize = Options.HistoryPageBytes, TryRecoverLatest = true })
        using (var log = new FasterLog(settings))
        {
            var part = new byte[RevisionHistory.PartBytes(100)];
            RevisionHistory.EncodePart(part, revision: 2, part: 0, parts: 3, new byte[100]);
            log.Enqueue(part);
            await log.CommitAsync();
        }

        using var reopened = new RevisionHistory(Options);
        // The key/value checkpoint is at revision 1 (revision 2 was never whole, so no checkpoint can name it).
        reopened.Recover(1, 1);
        Assert.Equal(1, reopened.LastRevision);
        // The Raft log replays the command, which appends revision 2 whole; both revisions read back intact.
        var second = Payload((1 << 20) + 5, 2);
        reopened.Append(2, second);
        await reopened.CommitAsync(CancellationToken.None);
        var read = reopened.ReadCommitted(1, 2, 10);
        Assert.Equal([1L, 2L], read.Select(r => r.Revision));
        Assert.Equal(whole, read[0].Payload);
        Assert.Equal(second, read[1].Payload);
    }

    public void Dispose() => dir.Dispose();
}
