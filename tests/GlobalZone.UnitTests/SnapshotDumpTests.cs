using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using GlobalZone.Consensus.Snapshots;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;
using GlobalZone.Storage;

namespace GlobalZone.UnitTests;

/// <summary>
/// The dump that feeds snapshot files and backups runs while commands keep being applied; what it writes must still
/// be exactly the state at the index it names. And a snapshot file is refused when a byte of it changed.
/// </summary>
public sealed class SnapshotDumpTests : IDisposable
{
    private const int Keys = 400;
    private readonly TempDirectory dir = new();

    private StorageOptions Options(string name) => new() { Directory = Path.Combine(dir.Path, name), KeyValueMemoryBytes = 1 << 22, KeyValueIndexBytes = 1 << 16, HistoryMemoryBytes = 1 << 22 };

    /// <summary>Command at <paramref name="index"/>: mostly puts of a 2 KiB value, every seventh a delete.</summary>
    private static TxnCommand CommandAt(long index)
        => index % 7 == 0
            ? TxnCommand.Delete("k" + (index % Keys))
            : TxnCommand.Put("k" + (index % Keys), Encoding.UTF8.GetBytes($"{{\"i\":{index},\"pad\":\"{new string('p', 2048)}\"}}"));

    [Fact]
    public async Task A_dump_taken_while_commands_apply_is_exactly_the_state_at_the_index_it_names()
    {
        using var source = new KeyValueStateMachine(Options("source"));
        long index = 0;
        while (index < 3000)
            source.Apply(++index, 1, CommandAt(index));

        var dumps = new List<(StateLabel Label, byte[] Stream)>();
        using var stop = new CancellationTokenSource();
        var applier = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
                source.Apply(Interlocked.Increment(ref index), 1, CommandAt(Volatile.Read(ref index)));
        });
        for (var d = 0; d < 5; d++)
        {
            using var stream = new MemoryStream();
            var label = source.DumpState(stream, CancellationToken.None);
            dumps.Add((label, stream.ToArray()));
        }

        await stop.CancelAsync();
        await applier;
        // The applier moved on during the dumps: they were taken with applies running, not between them.
        Assert.True(dumps[^1].Label.Index > dumps[0].Label.Index, "commands were applied while the dumps ran");

        foreach (var (label, bytes) in dumps)
        {
            using var installed = new KeyValueStateMachine(Options("installed-" + label.Index));
            Assert.Equal(label.Index, await installed.InstallSnapshotAsync(new MemoryStream(bytes), label.Index, 1, CancellationToken.None));
            using var reference = new KeyValueStateMachine(Options("reference-" + label.Index));
            for (long i = 1; i <= label.Index; i++)
                reference.Apply(i, 1, CommandAt(i));

            Assert.Equal(reference.Revision, installed.Revision);
            Assert.Equal(reference.KeyCount, installed.KeyCount);
            for (var k = 0; k < Keys; k++)
            {
                var expected = reference.Get("k" + k);
                var actual = installed.Get("k" + k);
                Assert.Equal(expected is null, actual is null);
                if (expected is not null)
                {
                    Assert.Equal(expected.Value, actual!.Value);
                    Assert.Equal(expected.ModRevision, actual.ModRevision);
                    Assert.Equal(expected.Version, actual.Version);
                }
            }
        }
    }

    [Fact]
    public async Task A_snapshot_file_is_verified_against_its_descriptor_and_refused_when_damaged()
    {
        using var source = new KeyValueStateMachine(Options("file-source"));
        for (long i = 1; i <= 200; i++)
            source.Apply(i, 2, CommandAt(i));
        var id = SnapshotFile.NewId(150, 2);
        var path = Path.Combine(dir.Path, id + SnapshotFile.Extension);
        var info = SnapshotFile.Write(path, id, source, 150, 2, CancellationToken.None);
        Assert.Equal(200, info.ReflectedIndex);
        var descriptor = new SnapshotDescriptor
        {
            Ready = true, SnapshotId = id, Index = 150, Term = 2, ReflectedIndex = info.ReflectedIndex, Size = info.Size, Sha256 = info.Sha256,
            Url = "http://127.0.0.1:1/internal/v1/snapshots/" + id,
        };
        Assert.Equal(descriptor, SnapshotDescriptor.Decode(descriptor.Encode()));
        await SnapshotFile.VerifyAsync(path, descriptor, CancellationToken.None);

        // Version 3 is written in order and hashed in file order; the state stream (GZS3) carries its label (index,
        // term, revision) after its end marker, just before the trailer. Computed here independently from the file.
        var written = await File.ReadAllBytesAsync(path);
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(written.AsSpan(8)));
        Assert.Equal("GZS3"u8.ToArray(), written[28..32]);
        var expected = SHA256.HashData(written[..^32]);
        Assert.Equal(expected, written[^32..]);
        Assert.Equal(Convert.ToHexStringLower(expected), info.Sha256);
        Assert.Equal(0, written[^(32 + 24 + 1)]);
        Assert.Equal(200, BinaryPrimitives.ReadInt64LittleEndian(written.AsSpan(written.Length - 32 - 24)));

        using (var installed = new KeyValueStateMachine(Options("file-target")))
        await using (var stream = SnapshotFile.OpenStateStream(path))
        {
            Assert.Equal(200, await installed.InstallSnapshotAsync(stream, 150, 2, CancellationToken.None));
            Assert.Equal(source.Revision, installed.Revision);
        }

        await Assert.ThrowsAsync<InvalidDataException>(() => SnapshotFile.VerifyAsync(path, descriptor with { Sha256 = new string('0', 64) }, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidDataException>(() => SnapshotFile.VerifyAsync(path, descriptor with { Index = 151 }, CancellationToken.None));
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes);
        var damaged = await Assert.ThrowsAsync<InvalidDataException>(() => SnapshotFile.VerifyAsync(path, descriptor, CancellationToken.None));
        Assert.Contains("damaged", damaged.Message);
        await File.WriteAllBytesAsync(path, bytes[..^1]);
        await Assert.ThrowsAsync<InvalidDataException>(() => SnapshotFile.VerifyAsync(path, descriptor, CancellationToken.None));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("not json")]
    [InlineData("{\"formatVersion\":2,\"ready\":false,\"snapshotId\":\"\",\"index\":1,\"term\":1,\"reflectedIndex\":0,\"size\":0,\"sha256\":\"\",\"url\":\"\"}")]
    [InlineData("{\"formatVersion\":1,\"ready\":true,\"snapshotId\":\"../../etc/passwd\",\"index\":1,\"term\":1,\"reflectedIndex\":1,\"size\":100,\"sha256\":\"\",\"url\":\"http://x\"}")]
    public void Anything_but_a_descriptor_is_refused(string text)
        => Assert.Throws<InvalidDataException>(() => SnapshotDescriptor.Decode(Encoding.UTF8.GetBytes(text)));

    public void Dispose() => dir.Dispose();
}
