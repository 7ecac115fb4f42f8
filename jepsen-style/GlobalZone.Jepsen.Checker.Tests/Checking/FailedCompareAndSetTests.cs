namespace GlobalZone.Jepsen.Checker.Tests.Checking;

/// <summary>A failed compare-and-set is a real observation that the value was not the expected one.</summary>
public sealed class FailedCompareAndSetTests
{
    private static Verdict Check(TestHistory history) =>
        LinearizabilityChecker.Check(history.Operations, new RegisterModel()).Verdict;

    [Fact]
    public void FailureWhenTheValueDifferedIsLinearizable()
    {
        var history = new TestHistory().Write(0, "1", 0, 1).Cas(1, "0", "2", 2, 3, OperationStatus.Fail).Read(2, "1", 4, 5);
        Assert.Equal(Verdict.Linearizable, Check(history));
    }

    [Fact]
    public void FailureWhenTheValueCertainlyMatchedIsNotLinearizable()
    {
        // Dropping the failed call would wrongly accept this history.
        var history = new TestHistory().Write(0, "1", 0, 1).Cas(1, "1", "2", 2, 3, OperationStatus.Fail).Read(2, "1", 4, 5);
        Assert.Equal(Verdict.NotLinearizable, Check(history));
    }

    [Fact]
    public void FailureIsLinearizableWhereAConcurrentWriteChangedTheValue()
    {
        var history = new TestHistory()
            .Write(0, "1", 0, 1)
            .Write(2, "3", 2, 10)
            .Cas(1, "1", "2", 3, 11, OperationStatus.Fail)
            .Read(0, "3", 12, 13);
        Assert.Equal(Verdict.Linearizable, Check(history));
    }

    [Fact]
    public void FailedCompareAndSetLeavesTheValueUnchanged()
    {
        var history = new TestHistory().Write(0, "1", 0, 1).Cas(1, "0", "2", 2, 3, OperationStatus.Fail).Read(2, "2", 4, 5);
        Assert.Equal(Verdict.NotLinearizable, Check(history));
    }

    [Fact]
    public void FailureOnAnAbsentRegisterExpectingAbsenceIsNotLinearizable()
    {
        var history = new TestHistory().Cas(1, null, "2", 0, 1, OperationStatus.Fail);
        Assert.Equal(Verdict.NotLinearizable, Check(history));
    }
}
