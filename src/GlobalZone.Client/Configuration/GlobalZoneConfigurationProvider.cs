using GlobalZone.Client.Internal;
using GlobalZone.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalZone.Client.Configuration;

/// <summary>
/// Configuration from a key prefix in GlobalZone. Loads the prefix (linearizable reads), then follows it with a watch
/// from the revision it loaded: every change is applied in revision order and signalled through the reload token, so
/// <c>IOptionsMonitor</c> and <c>IConfiguration.GetReloadToken()</c> see it. If the history the watch needs was
/// compacted, it loads the prefix again and goes on from there.
/// </summary>
public sealed partial class GlobalZoneConfigurationProvider : ConfigurationProvider, IDisposable
{
    private readonly GlobalZoneConfigurationOptions options;
    private readonly GlobalZoneClient client;
    private readonly bool ownsClient;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly object gate = new();
    private Dictionary<string, KeyValue> entries = new(StringComparer.Ordinal);
    private CancellationTokenSource? following;
    private int disposed;

    /// <summary>A provider for the given settings (usually built by <see cref="GlobalZoneConfigurationSource"/>).</summary>
    public GlobalZoneConfigurationProvider(GlobalZoneConfigurationOptions options)
    {
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<GlobalZoneConfigurationProvider>();
        if (options.Client is { } given)
        {
            client = given;
        }
        else
        {
            client = new GlobalZoneClient(options.ClientOptions, options.LoggerFactory);
            ownsClient = true;
        }
    }

    /// <summary>The revision the configuration reflects (0 before the first load).</summary>
    public long Revision { get; private set; }

    /// <summary>How many times the provider reloaded after a change.</summary>
    public int ReloadCount { get; private set; }

    /// <summary>Loads the prefix (blocking, within <see cref="GlobalZoneConfigurationOptions.LoadTimeout"/>) and starts following it.</summary>
    /// <exception cref="GlobalZoneException">The first load failed and the source is not optional.</exception>
    public override void Load()
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
            timeout.CancelAfter(options.LoadTimeout);
            SyncOverAsync.Run(() => LoadAndFollowAsync(timeout.Token));
        }
        catch (Exception e) when (options.Optional && e is GlobalZoneException or OperationCanceledException)
        {
            LogLoadFailed(options.Prefix, e.Message);
            _ = Task.Run(() => LoadInBackgroundAsync(stopping.Token));
        }
        catch (OperationCanceledException e) when (!stopping.IsCancellationRequested)
        {
            throw new GlobalZoneUnavailableException($"Loading configuration under '{options.Prefix}' took longer than {options.LoadTimeout.TotalSeconds:0.#} s.", 0, false, inner: e);
        }
    }

    /// <summary>Stops following changes (and disposes the client the provider created).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
            return;
        stopping.Cancel();
        if (ownsClient)
            client.Dispose();
    }

    private async Task LoadAndFollowAsync(CancellationToken token)
    {
        var loaded = new Dictionary<string, KeyValue>(StringComparer.Ordinal);
        long? first = null;
        var listOptions = new ListOptions { Read = ReadOptions.Linearizable };
        while (true)
        {
            var page = await client.ListAsync(options.Prefix, listOptions, token).ConfigureAwait(false);
            // Pages may be read at different revisions; following from the first page's replays later changes, which
            // converges because the watch applies states in revision order.
            first ??= page.Revision;
            foreach (var kv in page.Items)
                loaded[kv.Key] = kv;
            if (!page.More || page.Next is null)
                break;
            listOptions = listOptions with { After = page.Next };
        }

        lock (gate)
        {
            entries = loaded;
            Revision = first.Value;
            Data = ConfigurationKeyMapper.Flatten(options.Prefix, entries.Values);
        }

        if (options.ReloadOnChange)
            Follow(first.Value + 1);
    }

    private async Task LoadInBackgroundAsync(CancellationToken token)
    {
        for (var round = 1; !token.IsCancellationRequested; round++)
        {
            try
            {
                await LoadAndFollowAsync(token).ConfigureAwait(false);
                OnReload();
                return;
            }
            catch (Exception e) when (e is GlobalZoneException && !token.IsCancellationRequested)
            {
                LogLoadFailed(options.Prefix, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, round)), token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>(Re)starts the watch from <paramref name="fromRevision"/>, replacing one that runs.</summary>
    private void Follow(long fromRevision)
    {
        var next = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        var previous = Interlocked.Exchange(ref following, next);
        previous?.Cancel();
        previous?.Dispose();
        _ = Task.Run(() => FollowAsync(fromRevision, next.Token));
    }

    /// <summary>
    /// Applies every revision from <paramref name="fromRevision"/> on. The watch itself waits out unavailability; any
    /// other failure (a member answering 500, a refused request) is logged and the watch starts again from the revision
    /// after the last one applied, backing off up to <see cref="MaxFollowBackoff"/>: configuration keeps following
    /// changes for as long as the provider lives.
    /// </summary>
    private async Task FollowAsync(long fromRevision, CancellationToken token)
    {
        for (var failures = 0; !token.IsCancellationRequested;)
        {
            try
            {
                await foreach (var revision in client.WatchRevisionsAsync(options.Prefix, isPrefix: true, new WatchOptions { FromRevision = fromRevision }, token)
                                   .ConfigureAwait(false))
                {
                    lock (gate)
                    {
                        if (token.IsCancellationRequested)
                            return;
                        var updated = new Dictionary<string, KeyValue>(entries, StringComparer.Ordinal);
                        foreach (var change in revision.Events)
                        {
                            if (change.Type == "delete")
                                updated.Remove(change.Kv.Key);
                            else
                                updated[change.Kv.Key] = change.Kv;
                        }

                        entries = updated;
                        Revision = revision.Revision;
                        Data = ConfigurationKeyMapper.Flatten(options.Prefix, entries.Values);
                        ReloadCount++;
                    }

                    fromRevision = revision.Revision + 1;
                    failures = 0;
                    OnReload();
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (WatchCompactedException e)
            {
                LogCompacted(options.Prefix, e.Message);
                await LoadInBackgroundAsync(token).ConfigureAwait(false);
                return;
            }
            catch (GlobalZoneException e)
            {
                failures++;
                var delay = TimeSpan.FromTicks(Math.Min(MaxFollowBackoff.Ticks, TimeSpan.FromSeconds(1).Ticks << Math.Min(failures - 1, 5)));
                LogFollowFailed(options.Prefix, e.Message, fromRevision, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The longest pause between two attempts to follow changes again after a failure.</summary>
    private static readonly TimeSpan MaxFollowBackoff = TimeSpan.FromSeconds(30);

    [LoggerMessage(EventId = 6301, Level = LogLevel.Warning, Message = "Configuration under {Prefix} could not be loaded: {Reason}; retrying in the background")]
    private partial void LogLoadFailed(string prefix, string reason);

    [LoggerMessage(EventId = 6302, Level = LogLevel.Information, Message = "Configuration under {Prefix}: the watch's history was compacted ({Reason}); loading it again")]
    private partial void LogCompacted(string prefix, string reason);

    [LoggerMessage(EventId = 6303, Level = LogLevel.Warning, Message = "Configuration under {Prefix}: following changes failed ({Reason}); following again from revision {FromRevision} in {DelaySeconds} s")]
    private partial void LogFollowFailed(string prefix, string reason, long fromRevision, double delaySeconds);
}
