namespace GlobalZone.Consensus;

/// <summary>
/// Coalesces concurrent read-index requests. A caller may share a request only if that request starts after the
/// caller arrived, otherwise its answer could predate a write the caller already saw acknowledged. So while one
/// request is in flight, newcomers all join the single next one, started as soon as the current one ends.
/// Thousands of concurrent reads then cost two confirmation rounds, not thousands.
/// </summary>
internal sealed class ReadIndexBatcher(Func<Task<long>> fetch)
{
    private readonly Lock gate = new();
    private Task<long>? current;
    private Task<long>? queued;

    public Task<long> GetAsync()
    {
        lock (gate)
        {
            if (current is null || current.IsCompleted)
                return current = fetch();
            return queued ??= FetchAfterAsync(current);
        }
    }

    private async Task<long> FetchAfterAsync(Task<long> previous)
    {
        // Always yield: the caller still holds the lock while it stores this task in 'queued'.
        await ((Task)previous).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ForceYielding);
        lock (gate)
        {
            current = queued;
            queued = null;
        }

        return await fetch().ConfigureAwait(false);
    }
}
