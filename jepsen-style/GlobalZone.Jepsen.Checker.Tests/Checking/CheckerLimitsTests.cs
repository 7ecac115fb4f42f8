namespace GlobalZone.Jepsen.Checker.Tests.Checking;

public sealed class CheckerLimitsTests
{
    [Fact]
    public void CancelledCheckIsUnknown()
    {
        var history = new TestHistory().Write(0, "1", 0, 1).Read(1, "1", 2, 3);
        var options = new CheckOptions { CancellationToken = new CancellationToken(canceled: true) };

        var result = LinearizabilityChecker.Check(history.Operations, new RegisterModel(), options);

        Assert.Equal(Verdict.Unknown, result.Verdict);
        Assert.All(result.Keys, key => Assert.Equal(Verdict.Unknown, key.Verdict));
    }

    [Fact]
    public void SearchThatCannotFinishInTimeIsUnknown()
    {
        // Twenty overlapping appends and an impossible read: every order of the appends is a distinct state, so the
        // memo cannot prune and the search would need 20! steps to refute the history.
        var history = new TestHistory();
        for (var process = 0; process < 20; process++)
        {
            history.Append(process, ((char)('a' + process)).ToString(), 0, 100);
        }
        history.Read(99, "impossible", 0, 100);

        var result = LinearizabilityChecker.Check(history.Operations, new KvAppendModel(), TimeSpan.FromMilliseconds(200));

        Assert.Equal(Verdict.Unknown, result.Verdict);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(10), $"took {result.Elapsed}");
    }

    [Fact]
    public void CompletedOperationWithoutCompletionTimeIsRejected()
    {
        var operation = new Operation { Process = 0, Kind = OperationKind.Write, Input = "1", Status = OperationStatus.Ok, InvokeTime = 0 };
        Assert.Throws<ArgumentException>(() => LinearizabilityChecker.Check([operation], new RegisterModel()));
    }

    [Fact]
    public void OperationCompletingBeforeItsInvocationIsRejected()
    {
        var history = new TestHistory().Write(0, "1", 5, 4);
        Assert.Throws<ArgumentException>(() => LinearizabilityChecker.Check(history.Operations, new RegisterModel()));
    }

    [Fact]
    public void AppendIsRejectedByTheRegisterModel()
    {
        var history = new TestHistory().Append(0, "a", 0, 1);
        Assert.Throws<ArgumentException>(() => LinearizabilityChecker.Check(history.Operations, new RegisterModel()));
    }
}
