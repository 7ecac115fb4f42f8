namespace GlobalZone.Jepsen.Checker.Tests.Checking;

public sealed class IndeterminateOperationTests
{
    private static Verdict Check(TestHistory history) =>
        LinearizabilityChecker.Check(history.Operations, new RegisterModel()).Verdict;

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public void WriteWithUnknownOutcomeAllowsLaterReadsOfEitherValue(string seen)
    {
        var history = new TestHistory().Write(0, "1", 0, 1).Write(1, "2", 2, null).Read(2, seen, 10, 11);
        Assert.Equal(Verdict.Linearizable, Check(history));
    }

    [Fact]
    public void WriteWithUnknownOutcomeMayTakeEffectLongAfterItsClientGaveUp()
    {
        var history = new TestHistory()
            .Write(0, "1", 0, 1)
            .Write(1, "2", 2, null)
            .Read(2, "1", 10, 11)
            .Read(2, "1", 20, 21)
            .Read(2, "2", 30, 31);
        Assert.Equal(Verdict.Linearizable, Check(history));
    }

    [Fact]
    public void WriteWithUnknownOutcomeCannotBeUndoneOnceObserved()
    {
        var history = new TestHistory()
            .Write(0, "1", 0, 1)
            .Write(1, "2", 2, null)
            .Read(2, "2", 10, 11)
            .Read(2, "1", 20, 21);
        Assert.Equal(Verdict.NotLinearizable, Check(history));
    }

    [Fact]
    public void WriteWithUnknownOutcomeCannotTakeEffectBeforeItsInvocation()
    {
        var history = new TestHistory().Read(0, "2", 0, 1).Write(1, "2", 2, null);
        Assert.Equal(Verdict.NotLinearizable, Check(history));
    }

    [Fact]
    public void InfoCompletionIsIndeterminateEvenWithACompletionTime()
    {
        // The client timed out at time 3, but the write may still land afterwards.
        var history = new TestHistory()
            .Write(1, "2", 2, 3, status: OperationStatus.Info)
            .Read(2, null, 10, 11)
            .Read(2, "2", 20, 21);
        Assert.Equal(Verdict.Linearizable, Check(history));
    }

    [Fact]
    public void CompareAndSetWithUnknownOutcomeMayOrMayNotHaveSwapped()
    {
        var swapped = new TestHistory().Write(0, "1", 0, 1).Cas(1, "1", "2", 2, null).Read(2, "2", 10, 11);
        var notSwapped = new TestHistory().Write(0, "1", 0, 1).Cas(1, "1", "2", 2, null).Read(2, "1", 10, 11);
        Assert.Equal(Verdict.Linearizable, Check(swapped));
        Assert.Equal(Verdict.Linearizable, Check(notSwapped));
    }

    [Fact]
    public void TimedOutReadCarriesNoInformation()
    {
        var history = new TestHistory()
            .Write(0, "1", 0, 1)
            .Read(1, "nonsense", 2, 3, status: OperationStatus.Fail)
            .Read(1, null, 4, 5, status: OperationStatus.Info)
            .Read(2, "1", 6, 7);
        Assert.Equal(Verdict.Linearizable, Check(history));
    }

    [Fact]
    public void FailedWriteDidNotHappen()
    {
        var history = new TestHistory().Write(0, "1", 0, 1).Write(1, "2", 2, 3, status: OperationStatus.Fail).Read(2, "2", 4, 5);
        Assert.Equal(Verdict.NotLinearizable, Check(history));
    }
}
