namespace GlobalZone.IntegrationTests.Witness;

/// <summary>A client writing fresh keys without pause through a set of members while a fault plays out; its ledger is checked afterwards.</summary>
internal sealed class BackgroundWriter : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public BackgroundWriter(string prefix, Func<IReadOnlyList<HttpClient>> clients)
    {
        Writes = new AcknowledgedWrites(prefix);
        loop = Task.Run(async () =>
        {
            var turn = 0;
            while (!stop.IsCancellationRequested)
            {
                var candidates = clients();
                if (candidates.Count == 0 || !await Writes.TryWriteAsync(candidates[turn++ % candidates.Count], TimeSpan.FromSeconds(3)))
                    await Task.Delay(20);
            }
        });
    }

    /// <summary>Read only after <see cref="StopAsync"/>: the ledger is not shared while the loop runs.</summary>
    public AcknowledgedWrites Writes { get; }

    public async Task<AcknowledgedWrites> StopAsync()
    {
        stop.Cancel();
        await loop;
        return Writes;
    }

    public async ValueTask DisposeAsync()
    {
        if (!stop.IsCancellationRequested)
            await StopAsync();
        stop.Dispose();
    }
}
