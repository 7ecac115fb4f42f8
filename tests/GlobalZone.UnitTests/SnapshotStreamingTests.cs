using System.Net;
using System.Security.Cryptography;
using System.Text;
using GlobalZone.Consensus.Snapshots;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;
using GlobalZone.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalZone.UnitTests;

/// <summary>
/// A join overlaps its three steps: the leader serves the snapshot file while it dumps it, and a new member installs
/// it while it downloads it, committing only once the file's hash checked out. These tests drive the real writer,
/// hash, receiver and state machine over an in-process HTTP handler.
/// </summary>
public sealed class SnapshotStreamingTests : IDisposable
{
    private const long Index = 150;
    private const long Term = 2;
    private const int Keys = 300;
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private StorageOptions Options(string name) => new() { Directory = Path.Combine(dir.Path, name), KeyValueMemoryBytes = 1 << 22, KeyValueIndexBytes = 1 << 16, HistoryMemoryBytes = 1 << 22 };

    private static TxnCommand CommandAt(long index)
        => index % 9 == 0
            ? TxnCommand.Delete("k" + (index % Keys))
            : TxnCommand.Put("k" + (index % Keys), Encoding.UTF8.GetBytes($"{{\"i\":{index},\"pad\":\"{new string('p', 4096)}\"}}"));

    private KeyValueStateMachine NewSource(string name, long entries = 2000)
    {
        var source = new KeyValueStateMachine(Options(name));
        for (long i = 1; i <= entries; i++)
            source.Apply(i, Term, CommandAt(i));
        return source;
    }

    [Fact]
    public async Task A_reader_follows_a_growing_file_to_its_end_and_fails_when_its_writer_fails()
    {
        var path = Path.Combine(dir.Path, "growing");
        await File.WriteAllBytesAsync(path, []);
        var growing = new GrowingFile(path);
        await using var reader = growing.OpenReader();
        var pending = reader.ReadAsync(new byte[10]).AsTask();
        Assert.False(pending.IsCompleted, "nothing written yet: the read waits");

        await using (var writer = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1))
        {
            writer.Write("hello"u8);
            writer.Flush();
            growing.Advance(5);
            Assert.Equal(5, await pending.WaitAsync(TimeSpan.FromSeconds(10)));
            writer.Write(" world"u8);
            writer.Flush();
            growing.Complete(11);
        }

        var rest = new byte[64];
        var read = await reader.ReadAsync(rest);
        Assert.Equal(" world", Encoding.ASCII.GetString(rest, 0, read));
        Assert.Equal(0, await reader.ReadAsync(rest));

        var failing = new GrowingFile(path, 11);
        await using var second = failing.OpenReader(11);
        var waiting = second.ReadAsync(rest).AsTask();
        failing.Fail(new IOException("disk gone (test)"));
        var error = await Assert.ThrowsAsync<IOException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("disk gone", error.Message);
    }

    [Fact]
    public async Task The_hash_of_a_file_of_unknown_size_holds_back_its_trailer_and_catches_a_flipped_byte()
    {
        using var source = NewSource("hash-source");
        var id = SnapshotFile.NewId(Index, Term);
        var path = Path.Combine(dir.Path, id + SnapshotFile.Extension);
        var info = SnapshotFile.Write(path, id, source, Index, Term, CancellationToken.None);
        var file = await File.ReadAllBytesAsync(path);
        var descriptor = new SnapshotDescriptor { Ready = false, SnapshotId = id, Index = Index, Term = Term, Url = "http://x.test/" + id, FileFormat = 3 };

        // Fed in uneven pieces, some shorter than the 32-byte trailer.
        foreach (var piece in new[] { 1, 7, 31, 33, 4096, 65536 })
        {
            using var hash = new SnapshotContentHash(0);
            for (var at = 0; at < file.Length; at += piece)
                hash.Append(file.AsSpan(at, Math.Min(piece, file.Length - at)));
            hash.Check(descriptor, "test");
            Assert.Equal(info.Sha256, hash.Sha256);
        }

        var damaged = file.ToArray();
        damaged[damaged.Length / 2] ^= 0x04;
        using (var hash = new SnapshotContentHash(0))
        {
            hash.Append(damaged);
            Assert.Contains("damaged", Assert.Throws<InvalidDataException>(() => hash.Check(descriptor, "test")).Message);
        }

        // Cut short: the last 32 bytes are not the hash of the rest.
        using (var hash = new SnapshotContentHash(0))
        {
            hash.Append(file.AsSpan(0, file.Length - 100));
            Assert.Throws<InvalidDataException>(() => hash.Check(descriptor, "test"));
        }

        // A descriptor that states the hash must match it too.
        using (var hash = new SnapshotContentHash(0))
        {
            hash.Append(file);
            Assert.Throws<InvalidDataException>(() => hash.Check(descriptor with { Sha256 = new string('0', 64) }, "test"));
        }
    }

    [Fact]
    public async Task A_file_is_served_while_it_is_written_and_the_bytes_read_meanwhile_are_the_finished_file()
    {
        using var source = NewSource("serve-source", entries: 6000);
        var id = SnapshotFile.NewId(Index, Term);
        var growing = new GrowingFile(Path.Combine(dir.Path, id + SnapshotFile.Extension));
        var writer = Task.Run(() => SnapshotFile.Write(growing, id, source, Index, Term, TransferPacer.Unlimited, CancellationToken.None));
        while (!File.Exists(growing.Path))
            await Task.Delay(1);

        using var copy = new MemoryStream();
        await using (var reader = growing.OpenReader())
            await reader.CopyToAsync(copy);
        var info = await writer;
        Assert.Equal(await File.ReadAllBytesAsync(growing.Path), copy.ToArray());
        Assert.Equal(info.Size, copy.Length);
        Assert.Equal(info.Sha256, Convert.ToHexStringLower(SHA256.HashData(copy.ToArray().AsSpan(0, (int)copy.Length - 32))));
    }

    [Fact]
    public async Task A_new_member_installs_a_file_while_it_is_written_and_downloaded_and_ends_with_the_leaders_state()
    {
        using var source = NewSource("join-source", entries: 6000);
        using var target = new KeyValueStateMachine(Options("join-target"));
        var (server, descriptor, writer) = StartServing(source);
        var checks = 0;
        var receiver = NewReceiver(server, target, () => Interlocked.Increment(ref checks));

        Assert.True(await CompleteAsync(receiver, descriptor), "the transfer completes");
        var info = await writer;
        Assert.Equal(1, checks);
        Assert.True(server.FirstRequestWhileWriting, "the download started while the leader was still writing the file");
        Assert.Equal(info.ReflectedIndex, target.AppliedIndex);
        Assert.Equal(source.Revision, target.Revision);
        Assert.Equal(source.KeyCount, target.KeyCount);
        for (var k = 0; k < Keys; k++)
            Assert.Equal(source.Get("k" + k)?.Value, target.Get("k" + k)?.Value);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.Path, "incoming")));
    }

    [Fact]
    public async Task A_file_that_fails_its_check_after_it_was_loaded_leaves_the_new_member_empty_and_the_next_attempt_installs()
    {
        using var source = NewSource("bad-source", entries: 6000);
        using var target = new KeyValueStateMachine(Options("bad-target"));
        var (server, descriptor, writer) = StartServing(source, corruptFirstResponseAt: 200_000);
        var receiver = NewReceiver(server, target, () => { });

        Assert.False(await CompleteAsync(receiver, descriptor), "a damaged file is not installed");
        var info = await writer;
        Assert.True(target.IsPristine, "the state is back at index 0");
        Assert.Equal(0, target.KeyCount);
        Assert.Null(target.Get("k1"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.Path, "incoming")));

        Assert.True(await CompleteAsync(receiver, descriptor with { Ready = true, Size = info.Size, Sha256 = info.Sha256, ReflectedIndex = info.ReflectedIndex }), "the next attempt installs");
        Assert.Equal(source.KeyCount, target.KeyCount);
        Assert.Equal(source.Get("k1")?.Value, target.Get("k1")?.Value);
    }

    [Fact]
    public async Task A_state_that_has_applied_anything_refuses_an_unverified_install()
    {
        using var source = NewSource("refuse-source", entries: 10);
        using var target = NewSource("refuse-target", entries: 1);
        using var stream = new MemoryStream();
        source.DumpState(stream, SnapshotStreamLayout.LabelAtEnd, CancellationToken.None);
        stream.Position = 0;
        Assert.False(target.IsPristine);
        await Assert.ThrowsAsync<InvalidOperationException>(() => target.InstallUnverifiedSnapshotAsync(stream, 10, Term, () => { }, CancellationToken.None));
        Assert.Equal(1, target.AppliedIndex);
        Assert.NotNull(target.Get("k1"));
    }

    private static async Task<bool> CompleteAsync(SnapshotReceiver receiver, SnapshotDescriptor descriptor)
    {
        // As the leader's heartbeats do: ask again until it is done or has failed.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await receiver.TryCompleteAsync(descriptor, TimeSpan.FromMilliseconds(200), CancellationToken.None))
                return true;
            if (receiver.LastTransferFailed)
                return false;
        }

        throw new TimeoutException("The transfer neither completed nor failed in 60 s.");
    }

    private (GrowingFileServer Server, SnapshotDescriptor Descriptor, Task<SnapshotFileInfo> Writer) StartServing(KeyValueStateMachine source, long? corruptFirstResponseAt = null)
    {
        var id = SnapshotFile.NewId(Index, Term);
        var growing = new GrowingFile(Path.Combine(dir.Path, id + SnapshotFile.Extension));
        var server = new GrowingFileServer(growing) { CorruptFirstResponseAt = corruptFirstResponseAt };
        // The leader starts writing once the member asks, as a leader does: the member then reads the file as it grows.
        var writer = Task.Run(async () =>
        {
            await server.FirstRequest.Task;
            return SnapshotFile.Write(growing, id, source, Index, Term, TransferPacer.Unlimited, CancellationToken.None);
        });
        var descriptor = new SnapshotDescriptor { Ready = false, SnapshotId = id, Index = Index, Term = Term, Url = "http://leader.test/internal/v1/snapshots/" + id, FileFormat = SnapshotFile.CurrentVersion };
        return (server, descriptor, writer);
    }

    private SnapshotReceiver NewReceiver(GrowingFileServer server, KeyValueStateMachine target, Action onCheck) => new(Path.Combine(dir.Path, "incoming"), NullLogger.Instance, TimeProvider.System)
    {
        RetryPause = TimeSpan.Zero,
        PeerClient = () => new HttpClient(server, disposeHandler: false),
        Install = (_, _, _) => throw new InvalidOperationException("a new member installs while the file arrives"),
        CanInstallWhileArriving = () => target.IsPristine,
        InstallWhileArriving = async (stream, d, verify, token) =>
            await target.InstallUnverifiedSnapshotAsync(stream, d.Index, d.Term, () => { verify(); onCheck(); }, token),
    };

    /// <summary>Serves a growing file as the snapshot route does (chunked, from a Range offset), one byte flipped on request.</summary>
    private sealed class GrowingFileServer(GrowingFile file) : HttpMessageHandler
    {
        private int responses;

        public long? CorruptFirstResponseAt { get; init; }

        /// <summary>Whether the file was still being written when the first request came.</summary>
        public bool? FirstRequestWhileWriting { get; private set; }

        public TaskCompletionSource FirstRequest { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            FirstRequestWhileWriting ??= !file.IsComplete;
            FirstRequest.TrySetResult();
            while (!File.Exists(file.Path))
                await Task.Delay(1, cancellationToken);
            var from = request.Headers.Range?.Ranges.Single().From ?? 0;
            Stream body = file.OpenReader(from);
            if (Interlocked.Increment(ref responses) == 1 && CorruptFirstResponseAt is { } at)
                body = new FlippingStream(body, at - from);
            return new HttpResponseMessage(from == 0 ? HttpStatusCode.OK : HttpStatusCode.PartialContent) { Content = new StreamContent(body) };
        }
    }

    private sealed class FlippingStream(Stream inner, long at) : Stream
    {
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            if (at >= position && at < position + read)
                buffer.Span[(int)(at - position)] ^= 0x10;
            position += read;
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
