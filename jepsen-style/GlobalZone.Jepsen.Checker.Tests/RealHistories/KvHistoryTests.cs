using System.Globalization;
using Xunit.Abstractions;

namespace GlobalZone.Jepsen.Checker.Tests.RealHistories;

/// <summary>The multi-key append histories: cNN-ok.txt are linearizable, cNN-bad.txt are not.</summary>
public sealed class KvHistoryTests(ITestOutputHelper output)
{
    private const string Subfolder = "kv";

    public static TheoryData<string> Files() => SharedHistories.FileNames(Subfolder, "c*.txt");

    [RequiresSharedHistoriesTheory]
    [MemberData(nameof(Files))]
    public void VerdictMatchesTheFileName(string fileName)
    {
        var expected = fileName.EndsWith("-ok.txt", StringComparison.Ordinal) ? Verdict.Linearizable : Verdict.NotLinearizable;
        var history = EdnKvParser.ParseFile(SharedHistories.PathOf(Subfolder, fileName));
        var model = new KvAppendModel();

        var result = LinearizabilityChecker.Check(history, model, SharedHistories.CheckTimeout);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{fileName}: {history.Count} operations on {result.Keys.Count} keys, {result.Verdict} in {result.Elapsed.TotalMilliseconds:F1} ms"));
        Assert.NotEqual(Verdict.Unknown, result.Verdict);
        Assert.Equal(expected, result.Verdict);
        if (result.Counterexample is { } counterexample)
        {
            output.WriteLine(counterexample.Describe(5));
            CounterexampleVerifier.AssertSound(counterexample, model);
        }
    }
}
