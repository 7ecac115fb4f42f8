namespace GlobalZone.Consensus.Snapshots;

/// <summary>
/// A file one writer appends to while readers follow it: the leader serves a snapshot file while it dumps it, and a
/// new member installs the file while it downloads it. Without this the three steps of a join ran one after another
/// (1 GiB: dump 9–12 s, transfer 6–7 s, install 12 s).
/// </summary>
/// <remarks>
/// The writer writes straight to the OS (no buffer of its own below the point it reports) and then calls
/// <see cref="Advance"/>: bytes a reader may see are in the page cache, so a reader's plain file read returns them.
/// A reader never reads past <see cref="Length"/>, so it never sees a half-written block.
/// </remarks>
public sealed class GrowingFile
{
    private readonly Lock sync = new();
    private long length;
    private bool complete;
    private Exception? failure;
    private TaskCompletionSource changed = NewSignal();

    public GrowingFile(string path, long initialLength = 0)
    {
        Path = path;
        length = initialLength;
    }

    public string Path { get; }

    /// <summary>Bytes written so far that readers may read.</summary>
    public long Length
    {
        get
        {
            lock (sync)
                return length;
        }
    }

    /// <summary>True once the writer is done: <see cref="Length"/> is final.</summary>
    public bool IsComplete
    {
        get
        {
            lock (sync)
                return complete;
        }
    }

    /// <summary>The writer's bytes up to <paramref name="newLength"/> are in the file.</summary>
    public void Advance(long newLength)
    {
        TaskCompletionSource signal;
        lock (sync)
        {
            if (newLength <= length)
                return;
            length = newLength;
            signal = changed;
            changed = NewSignal();
        }

        signal.TrySetResult();
    }

    /// <summary>The writer is done; <paramref name="finalLength"/> is the whole file.</summary>
    public void Complete(long finalLength)
    {
        Advance(finalLength);
        End(null);
    }

    /// <summary>The writer gave up: readers waiting for more fail with <paramref name="error"/>.</summary>
    public void Fail(Exception error) => End(error);

    private void End(Exception? error)
    {
        TaskCompletionSource signal;
        lock (sync)
        {
            if (complete || failure is not null)
                return;
            if (error is null)
                complete = true;
            else
                failure = error;
            signal = changed;
            changed = NewSignal();
        }

        signal.TrySetResult();
    }

    /// <summary>A read-only stream of the file from <paramref name="position"/> that waits for bytes not written yet.</summary>
    public Stream OpenReader(long position = 0)
    {
        var file = new FileStream(Path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            // No buffer: a buffered FileStream could keep a short read of the end of the file as if it were final.
            BufferSize = 0,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
        });
        file.Position = position;
        return new Reader(this, file);
    }

    /// <summary>
    /// How many bytes after <paramref name="position"/> can be read now (waiting until there are some); 0 at the end.
    /// </summary>
    private async ValueTask<long> AvailableAsync(long position, bool synchronously, CancellationToken token)
    {
        while (true)
        {
            Task wait;
            lock (sync)
            {
                if (length > position)
                    return length - position;
                if (failure is not null)
                    throw new IOException($"{System.IO.Path.GetFileName(Path)} was not completed: {failure.Message}", failure);
                if (complete)
                    return 0;
                wait = changed.Task;
            }

            if (synchronously)
                wait.Wait(token);
            else
                await wait.WaitAsync(token).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Reader(GrowingFile owner, FileStream file) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => file.Position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
                return 0;
            var available = owner.AvailableAsync(file.Position, synchronously: true, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            return available == 0 ? 0 : ReadFully(buffer[..(int)Math.Min(buffer.Length, available)]);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.IsEmpty)
                return 0;
            var available = await owner.AvailableAsync(file.Position, synchronously: false, cancellationToken).ConfigureAwait(false);
            if (available == 0)
                return 0;
            var slice = buffer[..(int)Math.Min(buffer.Length, available)];
            var read = await file.ReadAsync(slice, cancellationToken).ConfigureAwait(false);
            return read > 0 ? read : throw Shorter();
        }

        private int ReadFully(Span<byte> buffer)
        {
            var read = file.Read(buffer);
            return read > 0 ? read : throw Shorter();
        }

        // The writer said these bytes were written: a file shorter than that was cut by someone else.
        private IOException Shorter() => new($"{System.IO.Path.GetFileName(owner.Path)} is shorter than its writer reported.");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                file.Dispose();
            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync() => file.DisposeAsync();
    }
}
