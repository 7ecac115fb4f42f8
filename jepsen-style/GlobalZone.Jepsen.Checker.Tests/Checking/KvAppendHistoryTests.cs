namespace GlobalZone.Jepsen.Checker.Tests.Checking;

public sealed class KvAppendHistoryTests
{
    private static Verdict Check(TestHistory history) =>
        LinearizabilityChecker.Check(history.Operations, new KvAppendModel()).Verdict;

    [Fact]
    public void AbsentKeyReadsAsEmptyString()
    {
        Assert.Equal(Verdict.Linearizable, Check(new TestHistory().Read(0, "", 0, 1)));
        Assert.Equal(Verdict.Linearizable, Check(new TestHistory().Read(0, null, 0, 1)));
    }

    [Fact]
    public void SequentialAppendsConcatenate()
    {
        var history = new TestHistory().Write(0, "a", 0, 1).Append(0, "b", 2, 3).Append(1, "c", 4, 5).Read(2, "abc", 6, 7);
        Assert.Equal(Verdict.Linearizable, Check(history));
    }

    [Fact]
    public void ConcurrentAppendsMayLandInEitherOrder()
    {
        var history = new TestHistory().Append(0, "a", 0, 10).Append(1, "b", 1, 9).Read(2, "ba", 11, 12);
        Assert.Equal(Verdict.Linearizable, Check(history));
    }

    [Fact]
    public void LostAppendIsNotLinearizable()
    {
        var history = new TestHistory().Append(0, "a", 0, 1).Append(1, "b", 2, 3).Read(2, "b", 4, 5);
        Assert.Equal(Verdict.NotLinearizable, Check(history));
    }

    [Fact]
    public void PutReplacesTheValue()
    {
        var history = new TestHistory().Append(0, "a", 0, 1).Write(1, "z", 2, 3).Append(0, "b", 4, 5).Read(2, "zb", 6, 7);
        Assert.Equal(Verdict.Linearizable, Check(history));
    }

    [Fact]
    public void CompareAndSetIsRejectedByTheKvModel()
    {
        var history = new TestHistory().Cas(0, "a", "b", 0, 1);
        Assert.Throws<ArgumentException>(() => LinearizabilityChecker.Check(history.Operations, new KvAppendModel()));
    }
}
