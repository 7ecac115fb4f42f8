namespace GlobalZone.Jepsen.Checker.Tests.Checking;

public sealed class RegisterHistoryTests
{
    private static Verdict Check(TestHistory history) =>
        LinearizabilityChecker.Check(history.Operations, new RegisterModel()).Verdict;

    [Fact]
    public void EmptyHistoryIsLinearizable() =>
        Assert.Equal(Verdict.Linearizable, Check(new TestHistory()));

    [Fact]
    public void ReadOfTheInitialAbsentValueIsLinearizable() =>
        Assert.Equal(Verdict.Linearizable, Check(new TestHistory().Read(0, null, 0, 1)));

    [Fact]
    public void SequentialWriteThenReadIsLinearizable() =>
        Assert.Equal(Verdict.Linearizable, Check(new TestHistory().Write(0, "1", 0, 1).Read(1, "1", 2, 3)));

    [Theory]
    [InlineData(null)]
    [InlineData("1")]
    public void ReadConcurrentWithWriteMaySeeEitherValue(string? seen) =>
        Assert.Equal(Verdict.Linearizable, Check(new TestHistory().Write(0, "1", 0, 10).Read(1, seen, 2, 5)));

    [Fact]
    public void LaterReadCannotSeeAnOlderValueThanAnEarlierRead()
    {
        // Both reads overlap the write; the first to finish sees the new value, the later one the old: not possible,
        // because the second read started after the first one had finished.
        var history = new TestHistory().Write(0, "1", 0, 20).Read(1, "1", 1, 5).Read(2, null, 6, 10);
        Assert.Equal(Verdict.NotLinearizable, Check(history));
    }

    [Fact]
    public void StaleReadAfterACompletedWriteIsNotLinearizable()
    {
        var history = new TestHistory().Write(0, "1", 0, 1).Write(0, "2", 2, 3).Read(1, "1", 4, 5);
        Assert.Equal(Verdict.NotLinearizable, Check(history));
    }

    [Fact]
    public void TwoConcurrentCompareAndSetsCannotBothSwapFromTheSameValue()
    {
        var history = new TestHistory()
            .Write(0, "0", 0, 1)
            .Cas(1, "0", "1", 2, 10)
            .Cas(2, "0", "2", 3, 11);
        Assert.Equal(Verdict.NotLinearizable, Check(history));
    }

    [Fact]
    public void ConcurrentCompareAndSetsChainingOneAfterTheOtherAreLinearizable()
    {
        var history = new TestHistory()
            .Write(0, "0", 0, 1)
            .Cas(1, "0", "1", 2, 10)
            .Cas(2, "1", "2", 3, 11)
            .Read(0, "2", 12, 13);
        Assert.Equal(Verdict.Linearizable, Check(history));
    }

    [Fact]
    public void ReadOfAValueNeverWrittenIsNotLinearizable()
    {
        var history = new TestHistory().Write(0, "1", 0, 5).Read(1, "7", 1, 6);
        Assert.Equal(Verdict.NotLinearizable, Check(history));
    }

    [Fact]
    public void LostWriteIsNotLinearizable()
    {
        // The write completed, yet a later read still finds the register absent.
        var history = new TestHistory().Write(0, "1", 0, 1).Read(1, null, 2, 3);
        Assert.Equal(Verdict.NotLinearizable, Check(history));
    }

    [Fact]
    public void LinearizationMayReorderOverlappingWrites()
    {
        // Write 1 invoked first but linearized after write 2: legal, since they overlap.
        var history = new TestHistory().Write(0, "1", 0, 10).Write(1, "2", 1, 9).Read(2, "1", 11, 12);
        Assert.Equal(Verdict.Linearizable, Check(history));
    }
}
