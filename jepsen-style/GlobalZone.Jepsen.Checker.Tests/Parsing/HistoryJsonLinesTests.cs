namespace GlobalZone.Jepsen.Checker.Tests.Parsing;

public sealed class HistoryJsonLinesTests
{
    [Fact]
    public void RoundTripsEveryField()
    {
        var history = new TestHistory()
            .Write(0, "1", 0, 1)
            .Cas(1, null, "2", 2, 3, OperationStatus.Fail)
            .Read(2, "1", 4, 5, key: "other")
            .Write(3, "9", 6, null)
            .Operations
            .Select(operation => operation with { Error = operation.IsIndeterminate ? "timed-out" : null })
            .ToArray();

        var writer = new StringWriter();
        HistoryJsonLines.Write(writer, history);
        var read = HistoryJsonLines.Read(new StringReader(writer.ToString()));

        Assert.Equal(history, read);
    }

    [Fact]
    public void UsesShortNamesAndOmitsNulls()
    {
        var line = HistoryJsonLines.Serialize(new TestHistory().Cas(4, "1", "2", 10, 11).Operations[0]);

        Assert.Contains("\"kind\":\"cas\"", line, StringComparison.Ordinal);
        Assert.Contains("\"status\":\"ok\"", line, StringComparison.Ordinal);
        Assert.DoesNotContain("output", line, StringComparison.Ordinal);
        Assert.DoesNotContain("isIndeterminate", line, StringComparison.Ordinal);
    }

    [Fact]
    public void AcceptsKeyValueVocabulary()
    {
        var operation = HistoryJsonLines.Deserialize("""{"process":1,"kind":"get","key":"k","output":"ab","status":"ok","invokeTime":5,"completeTime":7}""");
        Assert.Equal((OperationKind.Read, "ab", 7L), (operation.Kind, operation.Output, operation.CompleteTime!.Value));
    }

    [Fact]
    public void BadLineReportsItsNumber()
    {
        var exception = Assert.Throws<FormatException>(() => HistoryJsonLines.Read(new StringReader("\n{\"process\":1}\n")));
        Assert.StartsWith("Line 2", exception.Message, StringComparison.Ordinal);
    }
}
