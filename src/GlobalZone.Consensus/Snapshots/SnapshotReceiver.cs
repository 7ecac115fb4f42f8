using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus.Snapshots;

/// <summary>
/// A member's side of a snapshot transfer: on a descriptor it cannot satisfy yet, starts (or continues) a background
/// download of the file, resuming a partial one with a Range request, checks its SHA-256, and installs it through
/// <see cref="Install"/>. DotNext's InstallSnapshot call only waits a moment for it (see
/// <see cref="TryCompleteAsync"/>): it runs inside the RPC, which the leader cancels after its RPC timeout.
/// </summary>
/// <remarks>
/// The file may still be growing on the leader (a descriptor that is not ready but names it): the download then
/// follows it to its end. A member whose state is empty at index 0 (new, or replaced with an empty data folder)
/// installs a version-3 file while it arrives (<see cref="InstallWhileArriving"/>), checking the hash before the
/// install commits and removing what it loaded if the check fails; any other member downloads and checks the whole file
/// before it installs a byte (the state it would clear is its own). For a 1 GiB state a join was dump, transfer and
/// install one after another; now the three overlap.
/// </remarks>
public sealed partial class SnapshotReceiver
{
    private readonly string directory;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly Lock sync = new();
    private readonly CancellationTokenSource lifetime = new();
    private Transfer? current;

    public SnapshotReceiver(string directory, ILogger logger, TimeProvider time)
    {
        this.directory = directory;
        this.logger = logger;
        this.time = time;
        Directory.CreateDirectory(directory);
    }

    /// <summary>The member-to-member HTTP client (set once the host is built; DotNext needs the state machine earlier).</summary>
    public Func<HttpClient>? PeerClient { get; set; }

    /// <summary>Installs a verified file: replaces the state, checkpoints, publishes. Set by the state machine.</summary>
    public required Func<string, SnapshotDescriptor, CancellationToken, Task> Install { get; init; }

    /// <summary>
    /// Installs a state stream while it arrives (positioned after the file's prefix; reads wait for bytes not yet
    /// downloaded), calling the given check (which waits for the download and its hash) before it commits and leaving
    /// the state as it was if anything fails. Set by the state machine; null: always download first.
    /// </summary>
    public Func<Stream, SnapshotDescriptor, Action, CancellationToken, Task>? InstallWhileArriving { get; init; }

    /// <summary>True when <see cref="InstallWhileArriving"/> may be used now (the state is empty at index 0).</summary>
    public Func<bool>? CanInstallWhileArriving { get; init; }

    /// <summary>A transfer ends if no byte arrives for this long (the next InstallSnapshot call resumes it).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a failed transfer waits before the next InstallSnapshot call may start it again.</summary>
    public TimeSpan RetryPause { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Bytes of the latest transfer received so far, its size (0 when none, or while the sender still writes the file)
    /// and whether it is still running (downloading or installing).
    /// </summary>
    public (long Received, long Size, string SnapshotId, bool Running) Progress
    {
        get
        {
            var transfer = current;
            return transfer is null
                ? (0, 0, "", false)
                : (Interlocked.Read(ref transfer.Received), transfer.Descriptor.Size, transfer.Descriptor.SnapshotId, !transfer.Task.IsCompleted);
        }
    }

    /// <summary>True when the latest transfer ended in failure (the next call for it may start it again).</summary>
    public bool LastTransferFailed => current is { Task: { IsFaulted: true } or { IsCanceled: true } };

    /// <summary>
    /// Starts or continues the transfer <paramref name="descriptor"/> names and waits up to <paramref name="wait"/>
    /// for it. True once it is installed.
    /// </summary>
    public async Task<bool> TryCompleteAsync(SnapshotDescriptor descriptor, TimeSpan wait, CancellationToken token)
    {
        Transfer transfer;
        lock (sync)
        {
            if (current is { } running && running.Descriptor.SnapshotId == descriptor.SnapshotId
                && (!(running.Task.IsFaulted || running.Task.IsCanceled) || time.GetElapsedTime(running.Ended) < RetryPause))
            {
                // Running, done, or failed a moment ago: the leader asks at every heartbeat, and a failing source
                // (gone, refusing) should not be hit, and logged, that often.
                transfer = running;
            }
            else
            {
                // A different snapshot (a newer checkpoint, another leader) replaces the one in flight.
                current?.Cancel();
                transfer = current = new Transfer(descriptor, CancellationTokenSource.CreateLinkedTokenSource(lifetime.Token));
                transfer.Task = Task.Run(() => RunAsync(transfer));
            }
        }

        if (!transfer.Task.IsCompleted)
        {
            try
            {
                await transfer.Task.WaitAsync(wait, time, token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return false;
            }
            catch (Exception)
            {
                return false;
            }
        }

        return transfer.Task.IsCompletedSuccessfully;
    }

    private async Task RunAsync(Transfer transfer)
    {
        var descriptor = transfer.Descriptor;
        var token = transfer.Cancellation.Token;
        var partial = Path.Combine(directory, descriptor.SnapshotId + ".part");
        foreach (var other in Directory.EnumerateFiles(directory).Where(f => !string.Equals(f, partial, StringComparison.Ordinal)))
            File.Delete(other);
        var started = time.GetTimestamp();
        try
        {
            var resumedFrom = File.Exists(partial) ? new FileInfo(partial).Length : 0L;
            long size;
            TimeSpan downloaded, installed;
            var whileArriving = descriptor.FileFormat >= SnapshotFile.CurrentVersion && InstallWhileArriving is not null && CanInstallWhileArriving?.Invoke() == true;
            if (whileArriving)
            {
                (size, downloaded) = await DownloadAndInstallAsync(transfer, partial, resumedFrom, token).ConfigureAwait(false);
                installed = time.GetElapsedTime(started);
            }
            else
            {
                // Checked as it arrives (the bytes of a resumed part first, read back from disk), not read again afterwards.
                using (var hash = await DownloadAsync(transfer, partial, null, token).ConfigureAwait(false))
                {
                    hash.Check(descriptor, Path.GetFileName(partial));
                    size = hash.Position;
                }

                downloaded = time.GetElapsedTime(started);
                var installStarted = time.GetTimestamp();
                await Install(partial, descriptor, token).ConfigureAwait(false);
                installed = time.GetElapsedTime(installStarted);
            }

            LogReceived(descriptor.SnapshotId, descriptor.Index, size, resumedFrom, downloaded.TotalMilliseconds,
                size / 1048576.0 / Math.Max(downloaded.TotalSeconds, 0.001), installed.TotalMilliseconds,
                whileArriving ? "while it arrived" : "after it arrived");
            File.Delete(partial);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            LogAbandoned(descriptor.SnapshotId, Interlocked.Read(ref transfer.Received));
            throw;
        }
        catch (InvalidDataException e)
        {
            // A damaged or foreign file: start from scratch next time.
            File.Delete(partial);
            LogFailed(e, descriptor.SnapshotId, descriptor.Url);
            throw;
        }
        catch (Exception e)
        {
            LogFailed(e, descriptor.SnapshotId, descriptor.Url);
            throw;
        }
        finally
        {
            transfer.Ended = time.GetTimestamp();
        }
    }

    /// <summary>
    /// Downloads into <paramref name="partial"/> and installs from it at the same time; the install commits only after
    /// the download ended and its hash checked out. Returns the file's size and the download's time.
    /// </summary>
    private async Task<(long Size, TimeSpan Downloaded)> DownloadAndInstallAsync(Transfer transfer, string partial, long resumedFrom, CancellationToken token)
    {
        var descriptor = transfer.Descriptor;
        var started = time.GetTimestamp();
        if (resumedFrom == 0)
            await File.WriteAllBytesAsync(partial, [], token).ConfigureAwait(false);
        var growing = new GrowingFile(partial, resumedFrom);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        var download = Task.Run(async () =>
        {
            try
            {
                using var hash = await DownloadAsync(transfer, partial, growing, stop.Token).ConfigureAwait(false);
                growing.Complete(hash.Position);
                hash.Check(descriptor, Path.GetFileName(partial));
                return (hash.Position, time.GetElapsedTime(started));
            }
            catch (Exception e)
            {
                growing.Fail(e);
                throw;
            }
        }, CancellationToken.None);

        try
        {
            await using (var source = growing.OpenReader(SnapshotFile.PrefixBytes))
                await InstallWhileArriving!(source, descriptor, () => download.GetAwaiter().GetResult(), token).ConfigureAwait(false);
        }
        catch
        {
            // The install failed (the download's own failure comes through its check, or as a read error): end the
            // download too, and report the download's failure where it has one (it says what went wrong first).
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await download.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                // Ended here, because the install failed: the install's error is the one to report.
            }

            throw;
        }

        return await download.ConfigureAwait(false);
    }

    /// <summary>
    /// Fetches the rest of the file into <paramref name="partial"/>, reporting each write to <paramref name="growing"/>
    /// if given; returns its hash, fed every byte of it.
    /// </summary>
    private async Task<SnapshotContentHash> DownloadAsync(Transfer transfer, string partial, GrowingFile? growing, CancellationToken token)
    {
        var hash = new SnapshotContentHash(transfer.Descriptor.Size);
        try
        {
            await DownloadAsync(transfer, partial, hash, growing, token).ConfigureAwait(false);
            return hash;
        }
        catch
        {
            hash.Dispose();
            throw;
        }
    }

    private async Task DownloadAsync(Transfer transfer, string partial, SnapshotContentHash hash, GrowingFile? growing, CancellationToken token)
    {
        var descriptor = transfer.Descriptor;
        // A known size (a complete file) or not yet (a file the leader still writes: read until its body ends).
        var size = descriptor.Size;
        // Unbuffered: each write reaches the file before it is reported to an install reading it.
        await using var file = new FileStream(partial, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.Read | FileShare.Delete, BufferSize = 0,
            Options = FileOptions.Asynchronous,
        });
        if (size > 0 && file.Length > size)
        {
            if (growing is not null)
                throw new InvalidDataException($"The part kept of {descriptor.SnapshotId} is longer than the file.");
            file.SetLength(0);
        }

        // A part kept from an earlier attempt is hashed from disk first; what arrives now is hashed as it comes.
        file.Position = 0;
        await SnapshotFile.FeedAsync(file, hash, file.Length, token).ConfigureAwait(false);
        Interlocked.Exchange(ref transfer.Received, file.Length);
        if (size > 0 && file.Length == size)
            return;

        // The size comes from the wire: refuse a file the disk cannot hold before fetching any of it.
        var free = new DriveInfo(Path.GetFullPath(partial)).AvailableFreeSpace;
        if (size - file.Length > free)
            throw new IOException($"Snapshot {descriptor.SnapshotId} needs {size - file.Length} more bytes, but {directory} has {free} free.");

        var client = (PeerClient ?? throw new InvalidOperationException("The member-to-member client is not set up yet."))();
        client.Timeout = Timeout.InfiniteTimeSpan; // bounded by the idle watchdog below instead: a large file takes long
        using var request = new HttpRequestMessage(HttpMethod.Get, descriptor.Url);
        if (file.Length > 0)
            request.Headers.Range = new RangeHeaderValue(file.Length, null);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
        idle.CancelAfter(IdleTimeout);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, idle.Token).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.OK && file.Length > 0)
        {
            // The server ignored the range: this response is the whole file, so the part on disk is dropped (the hash
            // may not restart, so this attempt ends and the next one starts from an empty file).
            if (growing is null)
                file.SetLength(0);
            throw new InvalidDataException($"GET {descriptor.Url} ignored the range asked for; the next attempt takes the whole file.");
        }
        else if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PartialContent))
        {
            throw new HttpRequestException($"GET {descriptor.Url} answered {(int)response.StatusCode}.", null, response.StatusCode);
        }

        await using var body = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
        // 1 MiB reads: a 1 GiB file in 64 KiB reads spent much of its transfer time in per-read overhead.
        var buffer = new byte[1 << 20];
        int read;
        while ((read = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false)) > 0)
        {
            if (size > 0 && file.Length + read > size)
                throw new InvalidDataException($"GET {descriptor.Url} sent more than the {size} bytes described.");
            hash.Append(buffer.AsSpan(0, read));
            await file.WriteAsync(buffer.AsMemory(0, read), idle.Token).ConfigureAwait(false);
            growing?.Advance(file.Length);
            Interlocked.Add(ref transfer.Received, read);
            idle.CancelAfter(IdleTimeout);
        }

        if (size > 0 && file.Length != size)
            throw new IOException($"GET {descriptor.Url} ended after {file.Length} of {size} bytes; the next attempt resumes.");
    }

    private sealed class Transfer(SnapshotDescriptor descriptor, CancellationTokenSource cancellation)
    {
        public long Received;

        /// <summary>When it ended (a <see cref="TimeProvider"/> timestamp; 0 while running).</summary>
        public long Ended;

        public SnapshotDescriptor Descriptor => descriptor;

        public CancellationTokenSource Cancellation => cancellation;

        public Task Task { get; set; } = Task.CompletedTask;

        public void Cancel()
        {
            try
            {
                cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    [LoggerMessage(EventId = 1311, Level = LogLevel.Information, Message = "Snapshot {SnapshotId} (index {Index}) received: {Bytes} bytes (resumed at {ResumedFrom}) in {DownloadMs:F0} ms ({MiBPerSecond:F1} MiB/s), installed in {InstallMs:F0} ms ({When})")]
    private partial void LogReceived(string snapshotId, long index, long bytes, long resumedFrom, double downloadMs, double miBPerSecond, double installMs, string when);

    [LoggerMessage(EventId = 1312, Level = LogLevel.Warning, Message = "Snapshot transfer {SnapshotId} from {Url} failed; the leader's next InstallSnapshot call retries (resuming a partial download)")]
    private partial void LogFailed(Exception e, string snapshotId, string url);

    [LoggerMessage(EventId = 1313, Level = LogLevel.Information, Message = "Snapshot transfer {SnapshotId} abandoned after {Bytes} bytes (a newer snapshot was described, or the member stops)")]
    private partial void LogAbandoned(string snapshotId, long bytes);
}
