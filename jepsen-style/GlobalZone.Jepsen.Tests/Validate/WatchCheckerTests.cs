using System.Globalization;
using GlobalZone.Jepsen.Traffic;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Tests.Validate;

public sealed class WatchCheckerTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);
    private readonly List<Operation> history = [];

    private WatchCheckerTests Put(string key, string value, long revision, OperationStatus status = OperationStatus.Ok) => Add(new Operation
    {
        Process = 0,
        Kind = OperationKind.Write,
        Key = key,
        Input = value,
        Output = status == OperationStatus.Ok ? revision.ToString(CultureInfo.InvariantCulture) : null,
        Status = status,
        InvokeTime = 0,
        CompleteTime = 1,
    });

    private WatchCheckerTests Event(int watcher, long revision, string key, string value) => Add(new Operation
    {
        Process = WatchWorkload.WatcherProcessBase + watcher,
        Kind = OperationKind.Read,
        Key = WatchWorkload.EventKey,
        Output = $$$"""{"revision":{{{revision}}},"events":[{"type":"put","kv":{"key":"{{{key}}}","value":{{{value}}},"modRevision":{{{revision}}}}}]}""",
        Status = OperationStatus.Ok,
        InvokeTime = 2,
        CompleteTime = 2,
    });

    private WatchCheckerTests Listing(string json) => Add(new Operation
    {
        Process = ProcessIds.FinalReads,
        Kind = OperationKind.Read,
        Key = WatchWorkload.Prefix,
        Output = json,
        Status = OperationStatus.Ok,
        InvokeTime = 3,
        CompleteTime = 4,
    });

    private WatchCheckerTests Add(Operation operation)
    {
        history.Add(operation with { InvokeIndex = history.Count, CompleteIndex = history.Count });
        return this;
    }

    private ValidationResult Check() => new WatchChecker().Validate(history, Budget);

    private WatchCheckerTests TwoWrites() => Put("w/k0", "1", 1).Put("w/k1", "2", 2);

    private const string FinalListing = """[["w/k0",1,1],["w/k1",2,2]]""";

    [Fact]
    public void WatchersThatAgreeWithEachOtherAndTheWritesAreValid()
    {
        var result = TwoWrites().Event(0, 1, "w/k0", "1").Event(0, 2, "w/k1", "2").Event(1, 1, "w/k0", "1").Event(1, 2, "w/k1", "2").Listing(FinalListing).Check();
        Assert.True(result.Validity == Validity.Valid, result.Details);
        Assert.Equal(2, result.Figures["revisions-watched"]);
    }

    [Fact]
    public void RevisionDeliveredOutOfOrderIsInvalid()
    {
        var result = TwoWrites().Event(0, 2, "w/k1", "2").Event(0, 1, "w/k0", "1").Listing(FinalListing).Check();
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Contains("order", result.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void WatcherSkippingARevisionHasAGap()
    {
        var result = TwoWrites().Event(0, 1, "w/k0", "1").Event(0, 2, "w/k1", "2").Event(1, 2, "w/k1", "2").Listing(FinalListing).Check();
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Contains("gap: watcher p2000001", result.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void WatchersDisagreeingOnARevisionIsInvalid()
    {
        var result = TwoWrites().Event(0, 1, "w/k0", "1").Event(1, 1, "w/k0", "2").Listing(FinalListing).Check();
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Contains("disagreement", result.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void AcknowledgedWriteMissingFromEveryWatcherIsLost()
    {
        var result = Put("w/k0", "1", 1).Put("w/k1", "2", 2).Put("w/k0", "3", 3)
            .Event(0, 1, "w/k0", "1").Event(0, 3, "w/k0", "3").Listing("""[["w/k0",3,3],["w/k1",2,2]]""").Check();
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["lost"]);
    }

    [Fact]
    public void EventNobodyWroteIsAPhantom()
    {
        var result = TwoWrites().Event(0, 1, "w/k0", "1").Event(0, 2, "w/k1", "2").Event(0, 3, "w/k1", "99").Listing(FinalListing).Check();
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Contains("phantom", result.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void WatcherThatNeverCaughtUpMakesTheVerdictUnknown()
    {
        var result = TwoWrites().Event(0, 1, "w/k0", "1").Event(0, 2, "w/k1", "2").Event(1, 1, "w/k0", "1").Listing(FinalListing).Check();
        Assert.Equal(Validity.Unknown, result.Validity);
        Assert.Equal(1, result.Figures["watchers-behind"]);
    }
}
