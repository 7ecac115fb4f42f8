namespace GlobalZone.Jepsen.Checker.Tests.Checking;

public sealed class CounterexampleTests
{
    [Fact]
    public void StaleReadIsReportedWithThePrefixBeforeIt()
    {
        var history = new TestHistory().Write(0, "1", 0, 1).Write(0, "2", 2, 3).Read(1, "1", 4, 5);
        var result = LinearizabilityChecker.Check(history.Operations, new RegisterModel());

        var counterexample = Assert.IsType<Counterexample>(result.Counterexample);
        Assert.Equal("x", counterexample.Key);
        Assert.Equal([history.Operations[0], history.Operations[1]], counterexample.LinearizablePrefix);
        Assert.Equal("2", counterexample.StateAfterPrefix);
        Assert.Equal([history.Operations[2]], counterexample.UnlinearizableOperations);
    }

    [Fact]
    public void CandidatesAreTheConcurrentOperationsAtTheStuckPoint()
    {
        // After write 0, both CASes are candidates; one swaps, then the other can never be placed.
        var history = new TestHistory().Write(0, "0", 0, 1).Cas(1, "0", "1", 2, 10).Cas(2, "0", "2", 3, 11);
        var counterexample = LinearizabilityChecker.Check(history.Operations, new RegisterModel()).Counterexample;

        Assert.NotNull(counterexample);
        Assert.Equal(2, counterexample.LinearizablePrefix.Count);
        Assert.Single(counterexample.UnlinearizableOperations);
        Assert.Equal(OperationKind.CompareAndSet, counterexample.UnlinearizableOperations[0].Kind);
    }

    [Fact]
    public void DescriptionNamesTheKeyStateAndOperations()
    {
        var history = new TestHistory().Write(0, "1", 0, 1).Read(1, "7", 2, 3);
        var text = LinearizabilityChecker.Check(history.Operations, new RegisterModel()).Describe();

        Assert.Contains("NotLinearizable", text, StringComparison.Ordinal);
        Assert.Contains("Key \"x\" is not linearizable", text, StringComparison.Ordinal);
        Assert.Contains("State after the prefix: 1", text, StringComparison.Ordinal);
        Assert.Contains("p1 read→7", text, StringComparison.Ordinal);
    }

    [Fact]
    public void LinearizableHistoryHasNoCounterexample()
    {
        var history = new TestHistory().Write(0, "1", 0, 1).Read(1, "1", 2, 3);
        Assert.Null(LinearizabilityChecker.Check(history.Operations, new RegisterModel()).Counterexample);
    }
}
