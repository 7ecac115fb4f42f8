namespace GlobalZone.Testing;

/// <summary>Poll-with-deadline: the honest alternative to sleeping and hoping.</summary>
public static class Eventually
{
    public static async Task<T> GetAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what, TimeSpan? interval = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await probe() is { } value)
                    return value;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
            {
                last = e;
            }

            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException($"Timed out after {timeout} waiting for {what}." + (last is null ? "" : $" Last error: {last.Message}"));
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(50));
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> probe, TimeSpan timeout, string what, TimeSpan? interval = null)
        => await GetAsync<object>(async () => await probe() ? new object() : null, timeout, what, interval);
}
