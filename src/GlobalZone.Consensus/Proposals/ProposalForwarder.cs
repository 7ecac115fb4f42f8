namespace GlobalZone.Consensus;

/// <summary>
/// Forwards commands from a follower to the leader, coalescing the ones that arrive together: a command is sent at
/// once when fewer than <see cref="MaxInFlight"/> requests to the leader are out; otherwise it joins the next
/// request, which leaves as soon as one comes back. Under load many commands share one HTTP exchange on both
/// members; alone, a command goes straight out (no timer, no added latency).
/// </summary>
internal sealed class ProposalForwarder(Func<string, IReadOnlyList<ReadOnlyMemory<byte>>, CancellationToken, Task<IReadOnlyList<ForwardOutcome>>> send)
{
    /// <summary>Concurrent requests to the leader before commands start to queue.</summary>
    public const int MaxInFlight = 16;

    /// <summary>Most commands in one request (the leader refuses larger batches).</summary>
    public const int MaxBatch = 256;

    /// <summary>Roughly the most bytes of commands in one request; a single larger command still goes alone.</summary>
    private const int MaxBatchBytes = 1 << 20;

    private readonly Lock gate = new();
    private readonly Queue<Pending> queue = new();
    private int inFlight;

    /// <summary>Sends the command to the leader at <paramref name="leaderUrl"/> and returns its outcome.</summary>
    public async Task<ForwardOutcome> ForwardAsync(string leaderUrl, ReadOnlyMemory<byte> command, CancellationToken token)
    {
        var pending = new Pending(leaderUrl, command);
        List<Pending>? batch = null;
        lock (gate)
        {
            queue.Enqueue(pending);
            if (inFlight < MaxInFlight)
            {
                inFlight++;
                batch = TakeBatch();
            }
        }

        if (batch is not null)
            _ = RunAsync(batch);
        try
        {
            return await pending.Outcome.Task.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Still queued: it will never be sent. Already sent: the caller gives up on an unknown outcome.
            pending.Abandoned = true;
            throw;
        }
    }

    private async Task RunAsync(List<Pending> batch)
    {
        while (true)
        {
            await SendAsync(batch).ConfigureAwait(false);
            lock (gate)
            {
                batch = TakeBatch();
                if (batch.Count == 0)
                {
                    inFlight--;
                    return;
                }
            }
        }
    }

    /// <summary>Next commands for one leader, in arrival order. Call under the lock.</summary>
    private List<Pending> TakeBatch()
    {
        var batch = new List<Pending>();
        var bytes = 0;
        while (queue.TryPeek(out var next) && batch.Count < MaxBatch
               && (batch.Count == 0 || (next.LeaderUrl == batch[0].LeaderUrl && bytes + next.Command.Length <= MaxBatchBytes)))
        {
            queue.Dequeue();
            if (next.Abandoned)
                continue;
            batch.Add(next);
            bytes += next.Command.Length;
        }

        return batch;
    }

    private async Task SendAsync(List<Pending> batch)
    {
        if (batch.Count == 0)
            return;
        try
        {
            var outcomes = await send(batch[0].LeaderUrl, batch.Select(p => p.Command).ToList(), CancellationToken.None).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
                batch[i].Outcome.TrySetResult(i < outcomes.Count ? outcomes[i] : ForwardOutcome.Unknown);
        }
        catch (Exception e)
        {
            foreach (var pending in batch)
                pending.Outcome.TrySetException(e);
        }
    }

    private sealed class Pending(string leaderUrl, ReadOnlyMemory<byte> command)
    {
        public string LeaderUrl { get; } = leaderUrl;

        public ReadOnlyMemory<byte> Command { get; } = command;

        public TaskCompletionSource<ForwardOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public volatile bool Abandoned;
    }
}

/// <summary>What the leader said about one forwarded command (or that nothing reached it).</summary>
internal readonly record struct ForwardOutcome(LeaderReply Reply, ReadOnlyMemory<byte> Body)
{
    public static ForwardOutcome NotSent => new(LeaderReply.NotLeader, default);

    public static ForwardOutcome Unknown => new(LeaderReply.OutcomeUnknown, default);
}
