namespace GlobalZone.Jepsen.Checker.Tests.History;

public sealed class HistoryRecorderTests
{
    [Fact]
    public void RecordsCompletionsAndLeavesUnansweredCallsIndeterminate()
    {
        var recorder = new HistoryRecorder();
        var write = recorder.Invoke(0, OperationKind.Write, "x", input: "1");
        var read = recorder.Invoke(1, OperationKind.Read, "x");
        recorder.Complete(write, OperationStatus.Ok);
        var lost = recorder.Invoke(0, OperationKind.CompareAndSet, "x", input: "2", expected: "1");
        recorder.Complete(read, OperationStatus.Ok, output: "1");

        var history = recorder.Snapshot();

        Assert.Equal(3, history.Count);
        Assert.Equal((0, 2), (history[0].InvokeIndex, history[0].CompleteIndex!.Value));
        Assert.Equal("1", history[1].Output);
        Assert.True(history[lost.Slot].IsIndeterminate);
        Assert.True(history[0].CompleteTime < history[lost.Slot].InvokeTime);
        Assert.Equal(Verdict.Linearizable, LinearizabilityChecker.Check(history, new RegisterModel()).Verdict);
    }

    [Fact]
    public void CompletingTwiceIsAnError()
    {
        var recorder = new HistoryRecorder();
        var write = recorder.Invoke(0, OperationKind.Write, "x", input: "1");
        recorder.Complete(write, OperationStatus.Ok);
        Assert.Throws<InvalidOperationException>(() => recorder.Complete(write, OperationStatus.Ok));
    }

    [Fact]
    public void ConcurrentClientsProduceACheckableHistory()
    {
        var recorder = new HistoryRecorder();
        var register = new Lock();
        string? value = null;
        Parallel.For(0, 8, process =>
        {
            for (var i = 0; i < 50; i++)
            {
                var written = $"{process}-{i}";
                var write = recorder.Invoke(process, OperationKind.Write, "x", input: written);
                lock (register)
                {
                    value = written;
                }
                recorder.Complete(write, OperationStatus.Ok);

                var read = recorder.Invoke(process, OperationKind.Read, "x");
                string? seen;
                lock (register)
                {
                    seen = value;
                }
                recorder.Complete(read, OperationStatus.Ok, output: seen);
            }
        });

        var result = LinearizabilityChecker.Check(recorder.Snapshot(), new RegisterModel(), TimeSpan.FromSeconds(30));
        Assert.Equal(Verdict.Linearizable, result.Verdict);
    }
}
