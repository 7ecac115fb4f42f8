using System.Buffers.Binary;
using System.Text;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;
using GlobalZone.Storage;

namespace GlobalZone.UnitTests.Integrity;

/// <summary>Lengths read from a snapshot stream are bounded before anything is allocated.</summary>
public sealed class SnapshotStreamBoundsTests : IDisposable
{
    private readonly TempDirectory dir = new();

    private StorageOptions Options(string name) => new() { Directory = Path.Combine(dir.Path, name), KeyValueMemoryBytes = 1 << 22, KeyValueIndexBytes = 1 << 16, HistoryMemoryBytes = 1 << 22 };

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(-5)]
    [InlineData(100_000)]
    public async Task A_key_length_beyond_the_stream_is_refused_with_a_clear_error(int length)
    {
        byte[] stream;
        using (var source = new KeyValueStateMachine(Options("source")))
        {
            source.Apply(1, 1, TxnCommand.Put("k", Encoding.UTF8.GetBytes("\"v\"")));
            using var dump = new MemoryStream();
            source.DumpState(dump, CancellationToken.None);
            stream = dump.ToArray();
        }

        // The first record follows the 28-byte header: [kind:1][keyLength:4]...
        BinaryPrimitives.WriteInt32LittleEndian(stream.AsSpan(28 + 1), length);
        using var target = new KeyValueStateMachine(Options("target"));
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => target.InstallSnapshotAsync(new MemoryStream(stream), 1, 1, CancellationToken.None));
        Assert.Contains($"names a key of {length} bytes", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => dir.Dispose();
}
