using GlobalZone.Jepsen.Traffic;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Tests.Validate;

public sealed class SetCheckerTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(10);

    private static Histories Additions() => new Histories()
        .Write(0, "set/1", "1", 0, 1)
        .Write(1, "set/2", "2", 2, 3)
        .Write(2, "set/3", "3", 4, null)
        .Write(3, "set/4", "4", 5, 6, OperationStatus.Fail, "no-leader");

    private static ValidationResult Check(Histories history, string? listing) =>
        new SetChecker().Validate((listing is null ? history : history.Read(9, SetWorkload.Prefix, listing, 100, 101)).Operations, Budget);

    [Fact]
    public void EveryAcknowledgedAdditionPresentIsValid()
    {
        var result = Check(Additions(), "[1,2,3]");
        Assert.Equal(Validity.Valid, result.Validity);
        Assert.Equal(0, result.Figures["lost"]);
        Assert.Equal(1, result.Figures["recovered"]);
    }

    [Fact]
    public void IndeterminateAdditionMayBeMissing()
    {
        var result = Check(Additions(), "[1,2]");
        Assert.Equal(Validity.Valid, result.Validity);
        Assert.Equal(0, result.Figures["recovered"]);
    }

    [Fact]
    public void AcknowledgedAdditionMissingIsLost()
    {
        var result = Check(Additions(), "[1,3]");
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["lost"]);
        Assert.Equal("2", Assert.Single(result.Offending).Input);
        Assert.Contains("lost", result.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void ElementNeverAttemptedIsUnexpected()
    {
        var result = Check(Additions(), "[1,2,99]");
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["unexpected"]);
    }

    [Fact]
    public void AdditionRefusedForCertainMustNotAppear()
    {
        var result = Check(Additions(), "[1,2,4]");
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["failed-but-present"]);
    }

    [Fact]
    public void ElementListedTwiceIsDuplicated()
    {
        var result = Check(Additions(), "[1,2,2]");
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["duplicated"]);
    }

    [Fact]
    public void ElementWhoseKeyAndValueDisagreeIsUnexpected()
    {
        var listing = SetWorkload.ToJsonArray(["1", "2", "3=7"]);
        var result = Check(Additions(), listing);
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["unexpected"]);
    }

    [Fact]
    public void WithoutASuccessfulFinalListingTheVerdictIsUnknown()
    {
        var history = Additions().Read(9, SetWorkload.Prefix, null, 100, 101, OperationStatus.Fail, "no-leader");
        Assert.Equal(Validity.Unknown, new SetChecker().Validate(history.Operations, Budget).Validity);
    }

    [Fact]
    public void ListingRoundTripsThroughTheHistoryFormat()
    {
        var listing = SetWorkload.ToJsonArray(["10", "2", "5=6"]);
        Assert.Equal(["10", "2", "5=6"], SetChecker.ParseElements(listing));
    }
}
