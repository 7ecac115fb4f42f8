using GlobalZone.Consensus;

namespace GlobalZone.UnitTests;

/// <summary>How a follower coalesces forwarded commands, and what each caller learns when the exchange fails.</summary>
public sealed class ProposalForwarderTests
{
    private static ReadOnlyMemory<byte> Command(int n) => new byte[] { (byte)n, 1, 2 };

    private static ForwardOutcome Ok(ReadOnlyMemory<byte> command) => new(LeaderReply.Ok, command.ToArray());

    [Fact]
    public void BatchesRoundTripAndGarbageIsRefused()
    {
        ReadOnlyMemory<byte>[] items = [new byte[] { 1 }, Array.Empty<byte>(), new byte[300]];
        var decoded = ForwardedBatch.TryDecode(ForwardedBatch.Encode(items), 10);
        Assert.NotNull(decoded);
        Assert.Equal(items.Select(i => i.Length), decoded.Select(i => i.Length));
        Assert.Null(ForwardedBatch.TryDecode(ForwardedBatch.Encode(items), 2)); // over the item limit
        Assert.Null(ForwardedBatch.TryDecode(new byte[] { 1, 0, 0, 0, 9, 0, 0, 0, 1 }, 10)); // length past the end
        Assert.Null(ForwardedBatch.TryDecode(new byte[] { 0, 0, 0, 0, 7 }, 10)); // trailing bytes
        Assert.Null(ForwardedBatch.TryDecode(new byte[] { 255, 255, 255, 255 }, 10)); // negative count
        Assert.Null(ForwardedBatch.TryDecode(new byte[2], 10));
    }

    [Fact]
    public async Task CommandsThatArriveWhileRequestsAreOutShareTheNextRequestInOrder()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batches = new List<int[]>();
        var forwarder = new ProposalForwarder(async (_, commands, _) =>
        {
            lock (batches)
                batches.Add([.. commands.Select(c => (int)c.Span[0])]);
            await release.Task;
            return [.. commands.Select(Ok)];
        });

        // The first MaxInFlight commands go out alone at once; the rest wait and then leave together.
        var calls = Enumerable.Range(0, ProposalForwarder.MaxInFlight + 10).Select(n => forwarder.ForwardAsync("http://leader", Command(n), CancellationToken.None)).ToList();
        lock (batches)
            Assert.Equal(ProposalForwarder.MaxInFlight, batches.Count);
        release.SetResult();
        var outcomes = await Task.WhenAll(calls);
        for (var n = 0; n < outcomes.Length; n++)
        {
            Assert.Equal(LeaderReply.Ok, outcomes[n].Reply);
            Assert.Equal(n, outcomes[n].Body.Span[0]); // each caller gets its own reply
        }

        Assert.Equal(ProposalForwarder.MaxInFlight + 1, batches.Count);
        Assert.Equal(Enumerable.Range(ProposalForwarder.MaxInFlight, 10), batches[^1]);
    }

    [Fact]
    public async Task AFailedExchangeFailsEveryCommandInItAndTheForwarderCarriesOn()
    {
        var fail = true;
        var forwarder = new ProposalForwarder((_, commands, _) => fail
            ? Task.FromException<IReadOnlyList<ForwardOutcome>>(new OutcomeUnknownException("lost"))
            : Task.FromResult<IReadOnlyList<ForwardOutcome>>([.. commands.Select(Ok)]));
        await Assert.ThrowsAsync<OutcomeUnknownException>(() => forwarder.ForwardAsync("http://leader", Command(1), CancellationToken.None));
        fail = false;
        Assert.Equal(LeaderReply.Ok, (await forwarder.ForwardAsync("http://leader", Command(2), CancellationToken.None)).Reply);
    }

    [Fact]
    public async Task ACommandAbandonedWhileQueuedIsNeverSent()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sent = new List<int>();
        var forwarder = new ProposalForwarder(async (_, commands, _) =>
        {
            lock (sent)
                sent.AddRange(commands.Select(c => (int)c.Span[0]));
            await release.Task;
            return [.. commands.Select(Ok)];
        });
        var busy = Enumerable.Range(0, ProposalForwarder.MaxInFlight).Select(n => forwarder.ForwardAsync("http://leader", Command(n), CancellationToken.None)).ToList();
        using var cancel = new CancellationTokenSource();
        var abandoned = forwarder.ForwardAsync("http://leader", Command(100), cancel.Token);
        var kept = forwarder.ForwardAsync("http://leader", Command(101), CancellationToken.None);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        release.SetResult();
        await Task.WhenAll(busy);
        Assert.Equal(LeaderReply.Ok, (await kept).Reply);
        lock (sent)
        {
            Assert.Contains(101, sent);
            Assert.DoesNotContain(100, sent);
        }
    }

    [Fact]
    public async Task CommandsForDifferentLeadersNeverShareARequest()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batches = new List<(string Leader, int Count)>();
        var forwarder = new ProposalForwarder(async (leader, commands, _) =>
        {
            lock (batches)
                batches.Add((leader, commands.Count));
            await release.Task;
            return [.. commands.Select(Ok)];
        });
        var calls = Enumerable.Range(0, ProposalForwarder.MaxInFlight).Select(n => forwarder.ForwardAsync("http://a", Command(n), CancellationToken.None)).ToList();
        calls.Add(forwarder.ForwardAsync("http://a", Command(10), CancellationToken.None));
        calls.Add(forwarder.ForwardAsync("http://b", Command(11), CancellationToken.None));
        calls.Add(forwarder.ForwardAsync("http://a", Command(12), CancellationToken.None));
        release.SetResult();
        await Task.WhenAll(calls);
        lock (batches)
            Assert.DoesNotContain(batches, b => b.Leader == "http://b" && b.Count != 1);
    }
}
