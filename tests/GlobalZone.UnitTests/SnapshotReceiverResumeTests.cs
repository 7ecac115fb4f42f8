using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using GlobalZone.Consensus.Snapshots;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalZone.UnitTests;

/// <summary>
/// A snapshot download broken halfway resumes with a Range request from what the member already holds, and the
/// whole file must still pass the SHA-256 check before a byte is installed; a resumed part that does not match is
/// refused, and the next attempt starts over.
/// </summary>
public sealed class SnapshotReceiverResumeTests : IDisposable
{
    private const long Index = 100;
    private const long Term = 3;
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Theory]
    [InlineData(1u)]
    [InlineData(2u)]
    [InlineData(3u)]
    public async Task A_transfer_cut_halfway_resumes_from_the_received_offset_and_installs_the_verified_file(uint version)
    {
        var (file, descriptor) = MakeSnapshotFile(payloadBytes: 300_000, version);
        var cut = file.Length / 2;
        var server = new FileServer(file) { CutFirstTransferAfter = cut };
        var installed = new List<byte[]>();
        var receiver = NewReceiver(server, installed);

        Assert.False(await receiver.TryCompleteAsync(descriptor, TimeSpan.FromSeconds(10), CancellationToken.None), "a broken transfer is not complete");
        Assert.Empty(installed);
        var partial = Path.Combine(dir.Path, descriptor.SnapshotId + ".part");
        Assert.Equal(cut, new FileInfo(partial).Length);
        Assert.Equal(cut, receiver.Progress.Received);

        Assert.True(await receiver.TryCompleteAsync(descriptor, TimeSpan.FromSeconds(10), CancellationToken.None), "the resumed transfer completes");
        Assert.Equal(new string?[] { null, $"bytes={cut}-" }, server.Ranges);
        Assert.Equal(file, Assert.Single(installed));
        Assert.False(File.Exists(partial), "the installed download is removed");
    }

    [Fact]
    public async Task A_resumed_part_that_does_not_match_is_refused_and_the_next_attempt_starts_over()
    {
        var (file, descriptor) = MakeSnapshotFile(payloadBytes: 300_000);
        var cut = file.Length / 2;
        // The second response (the resumed part) has one byte flipped, as a source serving a different file under the
        // same name, or a damaged disk, would send it.
        var server = new FileServer(file) { CutFirstTransferAfter = cut, CorruptResponse = 2, CorruptAt = cut + 1000 };
        var installed = new List<byte[]>();
        var receiver = NewReceiver(server, installed);
        var partial = Path.Combine(dir.Path, descriptor.SnapshotId + ".part");

        Assert.False(await receiver.TryCompleteAsync(descriptor, TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.False(await receiver.TryCompleteAsync(descriptor, TimeSpan.FromSeconds(10), CancellationToken.None), "a file failing its SHA-256 check is not installed");
        Assert.Empty(installed);
        Assert.False(File.Exists(partial), "the damaged download is discarded, not resumed");

        Assert.True(await receiver.TryCompleteAsync(descriptor, TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Equal(new string?[] { null, $"bytes={cut}-", null }, server.Ranges);
        Assert.Equal(file, Assert.Single(installed));
    }

    private SnapshotReceiver NewReceiver(FileServer server, List<byte[]> installed) => new(dir.Path, NullLogger.Instance, TimeProvider.System)
    {
        // The next call may start again at once (the default pause spares a failing leader at every heartbeat).
        RetryPause = TimeSpan.Zero,
        PeerClient = () => new HttpClient(server, disposeHandler: false),
        Install = async (path, _, token) => installed.Add(await File.ReadAllBytesAsync(path, token)),
    };

    /// <summary>
    /// A file in <see cref="SnapshotFile"/>'s format (prefix, opaque state bytes, SHA-256 trailer) and its descriptor.
    /// Versions 1 and 3 hash the bytes in file order; version 2 hashes the state stream's 28-byte header last.
    /// </summary>
    private static (byte[] File, SnapshotDescriptor Descriptor) MakeSnapshotFile(int payloadBytes, uint version = SnapshotFile.CurrentVersion)
    {
        var content = new byte[28 + payloadBytes];
        "GZSNAPF1"u8.CopyTo(content);
        BinaryPrimitives.WriteUInt32LittleEndian(content.AsSpan(8), version);
        BinaryPrimitives.WriteInt64LittleEndian(content.AsSpan(12), Index);
        BinaryPrimitives.WriteInt64LittleEndian(content.AsSpan(20), Term);
        Random.Shared.NextBytes(content.AsSpan(28));
        var hash = version != 2 ? SHA256.HashData(content) : SHA256.HashData([.. content[..28], .. content[56..], .. content[28..56]]);
        var file = content.Concat(hash).ToArray();
        var id = SnapshotFile.NewId(Index, Term);
        return (file, new SnapshotDescriptor
        {
            Ready = true,
            SnapshotId = id,
            Index = Index,
            Term = Term,
            ReflectedIndex = Index,
            Size = file.Length,
            Sha256 = Convert.ToHexStringLower(hash),
            Url = $"http://leader.test/internal/v1/snapshots/{id}",
        });
    }

    /// <summary>Serves one file as the snapshot route does (200, or 206 for <c>Range: bytes=N-</c>), with faults on demand.</summary>
    private sealed class FileServer(byte[] file) : HttpMessageHandler
    {
        private int responses;

        /// <summary>The first response breaks (the connection resets) after this many bytes of the file.</summary>
        public long? CutFirstTransferAfter { get; init; }

        /// <summary>Which response (1-based) carries a flipped byte at <see cref="CorruptAt"/> (a file offset).</summary>
        public int? CorruptResponse { get; init; }

        public long CorruptAt { get; init; }

        /// <summary>The Range header of each request, in order (null: none).</summary>
        public List<string?> Ranges { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var number = Interlocked.Increment(ref responses);
            var range = request.Headers.Range;
            lock (Ranges)
                Ranges.Add(range?.ToString());
            var from = range?.Ranges.Single().From ?? 0;
            var body = file.AsSpan((int)from).ToArray();
            if (number == CorruptResponse)
                body[(int)(CorruptAt - from)] ^= 0xFF;
            long? breakAfter = number == 1 ? CutFirstTransferAfter - from : null;
            var response = new HttpResponseMessage(range is null ? HttpStatusCode.OK : HttpStatusCode.PartialContent)
            {
                Content = new StreamContent(new BreakingStream(body, breakAfter)),
            };
            if (range is not null)
                response.Content.Headers.ContentRange = new ContentRangeHeaderValue(from, file.Length - 1, file.Length);
            return Task.FromResult(response);
        }
    }

    /// <summary>Reads from a buffer; with a break point, fails there as a reset connection does.</summary>
    private sealed class BreakingStream(byte[] data, long? breakAfter) : MemoryStream(data, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (breakAfter is { } limit)
            {
                if (Position >= limit)
                    throw new IOException("The connection was reset (test).");
                count = (int)Math.Min(count, limit - Position);
            }

            return base.Read(buffer, offset, count);
        }

        public override int Read(Span<byte> buffer)
        {
            var copy = new byte[buffer.Length];
            var read = Read(copy, 0, copy.Length);
            copy.AsSpan(0, read).CopyTo(buffer);
            return read;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => Task.FromResult(Read(buffer, offset, count));
    }
}
