namespace GlobalZone.Consensus.Tls;

/// <summary>
/// A value read from PEM files and read again when any of them changes (length or write time), looked at no more than
/// once a second, on use. Checking on use rather than with a file watcher needs no background thread and cannot miss
/// a change made by renaming a new file over the old one (how cert-manager and most rotation tools replace files).
/// A file caught half-written fails to load; the previous value is kept and the load is tried again on a later use.
/// </summary>
public sealed class ReloadingPemFiles<T>(string[] files, Func<string[], T> load, TimeProvider time, Action<Exception>? onReloadFailure = null)
    where T : class
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(1);
    private readonly Lock gate = new();
    private T? value;
    private string stamp = "";
    private long lastCheck;
    private int version;

    /// <summary>How many times the value was (re)loaded.</summary>
    public int Version => Volatile.Read(ref version);

    public T Current
    {
        get
        {
            var now = time.GetTimestamp();
            if (value is { } loaded && time.GetElapsedTime(Volatile.Read(ref lastCheck), now) < CheckEvery)
                return loaded;
            lock (gate)
            {
                if (value is not null && time.GetElapsedTime(lastCheck, now) < CheckEvery)
                    return value;
                Volatile.Write(ref lastCheck, now);
                var current = Stamp();
                if (value is not null && current == stamp)
                    return value;
                try
                {
                    value = load(files);
                    stamp = current;
                    Interlocked.Increment(ref version);
                }
                catch (Exception e) when (value is not null && e is IOException or System.Security.Cryptography.CryptographicException or ArgumentException)
                {
                    onReloadFailure?.Invoke(e);
                }

                return value;
            }
        }
    }

    private string Stamp() => string.Join('|', files.Select(f =>
    {
        var info = new FileInfo(f);
        return info.Exists ? $"{info.Length}:{info.LastWriteTimeUtc.Ticks}" : "-";
    }));
}
