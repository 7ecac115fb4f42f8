using GlobalZone.Jepsen.Client;
using GlobalZone.Jepsen.Traffic;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Tests.Traffic;

/// <summary>
/// How register operations are recorded for each way a member can answer: the soundness of every check rests on
/// never recording "fail" for something that may have happened, nor an observation that was not made.
/// </summary>
public sealed class RegisterWorkloadTests : IDisposable
{
    private readonly FakeMember member = new();
    private readonly GzHttpClient http = new(TimeSpan.FromSeconds(5));
    private readonly HistoryRecorder recorder = new();

    public void Dispose()
    {
        http.Dispose();
        member.Dispose();
    }

    // A client whose random source is scripted: the first draw picks the key slot, then the operation, then values.
    private ClientContext Client(params int[] draws) =>
        new(0, 1, new StickyRoute([member.Spec], 0), http, recorder, new ScriptedRandom(draws), new WorkloadSettings { Keys = 1, ValueRange = 5 });

    private async Task<Operation> RunAsync(ClientContext client)
    {
        var workload = new RegisterWorkload(new KeyRotation("r/", 1, 100));
        await workload.InvokeAsync(client, CancellationToken.None);
        return Assert.Single(recorder.Snapshot());
    }

    // Draw order: key slot, kind (0 read, 1 write, 2 cas), then the value (write) or expected and new value (cas).
    private ClientContext Cas(int expected, int value) => Client(0, 2, expected, value);

    [Fact]
    public async Task CompareAndSetThatSawTheExpectedValueAndPutIsOk()
    {
        member.ThenValue("3", 17).Then(200, """{"revision":18}""");
        var operation = await RunAsync(Cas(3, 4));
        Assert.Equal(OperationStatus.Ok, operation.Status);
        Assert.Equal(("3", "4"), (operation.Expected, operation.Input));
        Assert.Contains(member.Requests, r => r.StartsWith("PUT /v1/kv/r/0", StringComparison.Ordinal) && r.EndsWith("If-Match \"17\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CompareAndSetThatSawAnotherValueFailsAsAnObservation()
    {
        member.ThenValue("2", 17);
        var operation = await RunAsync(Cas(3, 4));
        Assert.Equal(OperationStatus.Fail, operation.Status);
        Assert.False(RegisterValidator.IsAbortedCompareAndSet(operation));
        Assert.Single(member.Requests);
    }

    [Fact]
    public async Task CompareAndSetWhoseReadFoundNoLeaderIsAbortedNotObserved()
    {
        member.ThenProblem(503);
        var operation = await RunAsync(Cas(3, 4));
        Assert.Equal(OperationStatus.Fail, operation.Status);
        Assert.True(RegisterValidator.IsAbortedCompareAndSet(operation));
    }

    [Fact]
    public async Task CompareAndSetWhosePutOutcomeIsUnknownIsIndeterminate()
    {
        member.ThenValue("3", 17).ThenProblem(504);
        var operation = await RunAsync(Cas(3, 4));
        Assert.Equal(OperationStatus.Info, operation.Status);
    }

    [Fact]
    public async Task CompareAndSetRefusedWith412ReadsAgainInsteadOfClaimingTheValueDiffered()
    {
        // The revision moved, but to the same value: the second round succeeds.
        member.ThenValue("3", 17).ThenProblem(412).ThenValue("3", 19).Then(200, """{"revision":20}""");
        var operation = await RunAsync(Cas(3, 4));
        Assert.Equal(OperationStatus.Ok, operation.Status);
        Assert.Equal(4, member.Requests.Count);
    }

    [Theory]
    [InlineData(200, "Ok")]
    [InlineData(503, "Fail")]
    [InlineData(421, "Fail")]
    [InlineData(504, "Info")]
    [InlineData(500, "Info")]
    public async Task WriteEndsAsTheAnswerSays(int status, string expected)
    {
        member.Then(status, status == 200 ? """{"revision":5}""" : $$"""{"type":"t","title":"t","status":{{status}}}""");
        var operation = await RunAsync(Client(0, 1, 2));
        Assert.Equal(Enum.Parse<OperationStatus>(expected), operation.Status);
        Assert.Equal("2", operation.Input);
    }

    [Fact]
    public async Task ReadOfAnAbsentKeyIsAnOkReadOfNothing()
    {
        member.ThenProblem(404);
        var operation = await RunAsync(Client(0, 0));
        Assert.Equal(OperationStatus.Ok, operation.Status);
        Assert.Null(operation.Output);
    }

    [Fact]
    public async Task StaleReadAsksForStaleConsistency()
    {
        member.ThenValue("1", 3);
        var client = new ClientContext(0, 1, new StickyRoute([member.Spec], 0), http, recorder, new ScriptedRandom([0, 0]), new WorkloadSettings { Keys = 1, StaleReads = true });
        var operation = await RunAsync(client);
        Assert.Equal("1", operation.Output);
        Assert.EndsWith("?consistency=stale", Assert.Single(member.Requests), StringComparison.Ordinal);
    }

    /// <summary>Returns the scripted numbers from Next(max), in order.</summary>
    private sealed class ScriptedRandom(int[] draws) : Random
    {
        private int position;

        public override int Next(int maxValue) => draws[position++] % maxValue;
    }
}
