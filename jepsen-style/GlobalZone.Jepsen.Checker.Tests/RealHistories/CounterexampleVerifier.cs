namespace GlobalZone.Jepsen.Checker.Tests.RealHistories;

/// <summary>
/// Re-checks a counterexample against the model independently of the search: the prefix must replay, respecting
/// real time, to the reported state, and the model must reject every reported candidate in that state.
/// </summary>
internal static class CounterexampleVerifier
{
    public static void AssertSound<TState>(Counterexample counterexample, Model<TState> model)
    {
        var state = model.InitialState;
        foreach (var operation in counterexample.LinearizablePrefix)
        {
            Assert.True(model.Step(state, operation, out state), $"prefix does not replay at {operation}");
        }
        Assert.Equal(counterexample.StateAfterPrefix, model.DescribeState(state));
        Assert.NotEmpty(counterexample.UnlinearizableOperations);
        foreach (var candidate in counterexample.UnlinearizableOperations)
        {
            Assert.False(model.Step(state, candidate, out _), $"{candidate} is reported unlinearizable but the model accepts it");
            Assert.DoesNotContain(candidate, counterexample.LinearizablePrefix);
        }
    }
}
