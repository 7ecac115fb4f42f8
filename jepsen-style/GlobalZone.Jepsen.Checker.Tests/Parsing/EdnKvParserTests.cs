namespace GlobalZone.Jepsen.Checker.Tests.Parsing;

public sealed class EdnKvParserTests
{
    private static IReadOnlyList<Operation> Parse(params string[] lines) =>
        EdnKvParser.Parse(new StringReader(string.Join('\n', lines)));

    [Fact]
    public void ReadsGetPutAndAppend()
    {
        var history = Parse(
            """{:process 1, :type :invoke, :f :get, :key "9", :value nil}""",
            """{:process 5, :type :invoke, :f :append, :key "9", :value "x 5 0 y"}""",
            """{:process 0, :type :invoke, :f :put, :key "1", :value "x 0 2 y"}""",
            """{:process 5, :type :ok, :f :append, :key "9", :value "x 5 0 y"}""",
            """{:process 1, :type :ok, :f :get, :key "9", :value ""}""",
            """{:process 0, :type :ok, :f :put, :key "1", :value "x 0 2 y"}""");

        Assert.Equal(3, history.Count);
        Assert.Equal((OperationKind.Read, "9", ""), (history[0].Kind, history[0].Key, history[0].Output));
        Assert.Equal((OperationKind.Append, "x 5 0 y", OperationStatus.Ok), (history[1].Kind, history[1].Input, history[1].Status));
        Assert.Equal((OperationKind.Write, "1", "x 0 2 y"), (history[2].Kind, history[2].Key, history[2].Input));
    }

    [Fact]
    public void ReadsCompareAndSetFailureAndInfo()
    {
        var history = Parse(
            """{:process 0, :type :invoke, :f :cas, :key 3, :value [1 2]}""",
            """{:process 1, :type :invoke, :f :write, :key 3, :value 4}""",
            """{:process 0, :type :fail, :f :cas, :key 3, :value [1 2]}""",
            """{:process 1, :type :info, :f :write, :key 3, :value 4, :error :timed-out}""");

        Assert.Equal((OperationKind.CompareAndSet, "3", "1", "2", OperationStatus.Fail), (history[0].Kind, history[0].Key, history[0].Expected, history[0].Input, history[0].Status));
        Assert.Equal((OperationStatus.Info, "timed-out"), (history[1].Status, history[1].Error));
    }

    [Fact]
    public void HandlesEscapesAndIgnoresNemesisAndBlankLines()
    {
        var history = Parse(
            """{:process :nemesis, :type :info, :f :start, :value nil}""",
            "",
            """{:process 2, :type :invoke, :f :append, :key "k", :value "a \"quoted\" \\ value"}""");
        Assert.Equal("a \"quoted\" \\ value", Assert.Single(history).Input);
    }

    [Fact]
    public void MalformedLineIsAnError() =>
        Assert.Throws<FormatException>(() => Parse("""{:process 2, :type :invoke, :f :append, :key "k" """));
}
