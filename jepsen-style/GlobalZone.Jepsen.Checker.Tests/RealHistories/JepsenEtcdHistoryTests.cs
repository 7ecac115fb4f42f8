using System.Globalization;
using Xunit.Abstractions;

namespace GlobalZone.Jepsen.Checker.Tests.RealHistories;

/// <summary>The 60 Jepsen etcd register histories; every verdict must match jepsen-etcd/answers.tsv.</summary>
public sealed class JepsenEtcdHistoryTests(ITestOutputHelper output)
{
    private const string Subfolder = "jepsen-etcd";

    public static TheoryData<string> Logs() => SharedHistories.FileNames(Subfolder, "etcd_*.log");

    [RequiresSharedHistoriesTheory]
    [MemberData(nameof(Logs))]
    public void VerdictMatchesTheKnownAnswer(string fileName)
    {
        var expected = Answers()[fileName] ? Verdict.Linearizable : Verdict.NotLinearizable;
        var history = JepsenLogParser.ParseFile(SharedHistories.PathOf(Subfolder, fileName));
        var model = new RegisterModel();

        var result = LinearizabilityChecker.Check(history, model, SharedHistories.CheckTimeout);

        var key = Assert.Single(result.Keys);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{fileName}: {history.Count} operations ({key.OperationCount} searched), {result.Verdict} in {result.Elapsed.TotalMilliseconds:F1} ms, {key.VisitedConfigurations} configurations"));
        Assert.NotEqual(Verdict.Unknown, result.Verdict);
        Assert.Equal(expected, result.Verdict);
        if (result.Counterexample is { } counterexample)
        {
            output.WriteLine(counterexample.Describe(5));
            CounterexampleVerifier.AssertSound(counterexample, model);
        }
    }

    [RequiresSharedHistoriesFact]
    public void AnswersCoverEveryLog()
    {
        var answers = Answers();
        Assert.Equal(SharedHistories.ListFiles(Subfolder, "etcd_*.log"), answers.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(60, answers.Count);
        Assert.Equal(13, answers.Values.Count(linearizable => linearizable));
    }

    // answers.tsv: a header line, then "etcd_NNN.log<TAB>true|false".
    private static Dictionary<string, bool> Answers() =>
        File.ReadLines(SharedHistories.PathOf(Subfolder, "answers.tsv"))
            .Skip(1)
            .Where(line => line.Length > 0)
            .Select(line => line.Split('\t'))
            .ToDictionary(fields => fields[0], fields => bool.Parse(fields[1]), StringComparer.Ordinal);
}
