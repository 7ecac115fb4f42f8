namespace GlobalZone.Jepsen.Checker.Tests.Parsing;

public sealed class JepsenLogParserTests
{
    private static IReadOnlyList<Operation> Parse(params string[] lines) =>
        JepsenLogParser.Parse(new StringReader(string.Join('\n', lines)));

    [Fact]
    public void PairsInvocationsWithCompletionsPerProcess()
    {
        var history = Parse(
            "INFO  jepsen.util - 0\t:invoke\t:read\tnil",
            "INFO  jepsen.util - 1\t:invoke\t:write\t4",
            "INFO  jepsen.util - 0\t:ok\t:read\tnil",
            "INFO  jepsen.util - 1\t:ok\t:write\t4");

        Assert.Equal(2, history.Count);
        var read = history[0];
        Assert.Equal((0, OperationKind.Read, OperationStatus.Ok, null as string), (read.Process, read.Kind, read.Status, read.Output));
        Assert.Equal((0L, 2L), (read.InvokeTime, read.CompleteTime!.Value));
        var write = history[1];
        Assert.Equal((1, OperationKind.Write, "4", OperationStatus.Ok), (write.Process, write.Kind, write.Input, write.Status));
        Assert.Equal((1, 3), (write.InvokeIndex, write.CompleteIndex!.Value));
        Assert.All(history, operation => Assert.Equal(JepsenLogParser.RegisterKey, operation.Key));
    }

    [Fact]
    public void ReadsCompareAndSetPairsAndTheirFailures()
    {
        var history = Parse(
            "INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0]",
            "INFO  jepsen.util - 2\t:fail\t:cas\t[3 0]");

        var cas = Assert.Single(history);
        Assert.Equal((OperationKind.CompareAndSet, "3", "0", OperationStatus.Fail), (cas.Kind, cas.Expected, cas.Input, cas.Status));
    }

    [Fact]
    public void AcceptsSpacesInsteadOfTabs()
    {
        var history = Parse("INFO  jepsen.util - 7 :invoke :read nil", "INFO  jepsen.util - 7 :ok :read 3");
        Assert.Equal("3", Assert.Single(history).Output);
    }

    [Fact]
    public void InfoCompletionAndMissingCompletionAreIndeterminate()
    {
        var history = Parse(
            "INFO  jepsen.util - 4\t:invoke\t:write\t1",
            "INFO  jepsen.util - 5\t:invoke\t:cas\t[1 2]",
            "INFO  jepsen.util - 4\t:info\t:write\t:timed-out");

        Assert.All(history, operation => Assert.True(operation.IsIndeterminate));
        Assert.Equal("timed-out", history[0].Error);
        Assert.Null(history[1].CompleteTime);
    }

    [Fact]
    public void TimedOutReadIsAFailedRead()
    {
        var history = Parse("INFO  jepsen.util - 3\t:invoke\t:read\tnil", "INFO  jepsen.util - 3\t:fail\t:read\t:timed-out");
        var read = Assert.Single(history);
        Assert.Equal((OperationStatus.Fail, "timed-out", null as string), (read.Status, read.Error, read.Output));
        Assert.False(new RegisterModel().MustBeLinearized(read));
    }

    [Fact]
    public void IgnoresLinesThatAreNotOperations()
    {
        var history = Parse(
            "INFO  jepsen.core - Running test",
            "INFO  jepsen.util - :nemesis\t:info\t:start\tnil",
            "",
            "INFO  jepsen.util - 0\t:invoke\t:read\tnil",
            "INFO  jepsen.util - 0\t:ok\t:read\t1");
        Assert.Single(history);
    }

    [Fact]
    public void CompletionWithoutInvocationIsAnError() =>
        Assert.Throws<FormatException>(() => Parse("INFO  jepsen.util - 0\t:ok\t:read\t1"));
}
