using GlobalZone.Jepsen.Traffic;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Tests.Validate;

public sealed class LockCheckerTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);
    private readonly List<Operation> history = [];

    private LockCheckerTests Section(int process, long token, long read, long revision, OperationStatus status = OperationStatus.Ok, long pausedMs = 0, bool fenced = true)
    {
        var section = new LockWorkload.Section { Fenced = fenced, Lease = process + 1, Token = token, Read = read, Wrote = read + 1, Revision = revision, PausedMs = pausedMs };
        HoldRecords.Add(history, process, LockWorkload.CounterKey, section, status, history.Count * 10, history.Count * 10 + 5);
        return this;
    }

    private ValidationResult FinalValue(long value)
    {
        history.Add(new Operation
        {
            Process = ProcessIds.FinalReads,
            Kind = OperationKind.Read,
            Key = LockWorkload.CounterKey,
            Output = value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Status = OperationStatus.Ok,
            InvokeTime = 10_000,
            CompleteTime = 10_001,
        });
        return new LockChecker().Validate(history, Budget);
    }

    [Fact]
    public void HoldersOneAfterAnotherAreValid()
    {
        var result = Section(0, 1, 0, 1).Section(1, 2, 1, 2).Section(2, 3, 2, 3).FinalValue(3);
        Assert.Equal(Validity.Valid, result.Validity);
        Assert.Equal(3, result.Figures["accepted-writes"]);
    }

    [Fact]
    public void StalledHolderRefusedByFencingIsValid()
    {
        // Token 1 stalled past its lease; token 2 took over; token 1's write was refused (409).
        var result = Section(0, 2, 0, 2).Section(1, 1, 0, 0, OperationStatus.Fail, pausedMs: 6000).FinalValue(1);
        Assert.Equal(Validity.Valid, result.Validity);
        Assert.Equal(1, result.Figures["refused-writes"]);
    }

    [Fact]
    public void TwoHoldersWritingTheSameValueInterleaved()
    {
        // Token 1 read 0, stalled; token 2 read 0 and wrote 1; token 1 woke and also wrote 1: an increment is lost.
        var result = Section(1, 2, 0, 2).Section(0, 1, 0, 3, pausedMs: 6000, fenced: false).FinalValue(1);
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(2, result.Figures["interleaved"]);
        Assert.Equal(2, result.Offending.Count);
        Assert.Contains("interleaved", result.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void OlderTokenAcceptedAfterANewerOneIsOutOfOrder()
    {
        var result = Section(0, 5, 0, 10).Section(1, 4, 1, 11).FinalValue(2);
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["token-order-violations"]);
        Assert.Equal(1, Assert.Single(result.Offending).Process);
    }

    [Fact]
    public void FinalValueBelowTheAcceptedIncrementsIsInvalid()
    {
        var result = Section(0, 1, 0, 1).Section(1, 2, 1, 2).FinalValue(1);
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Contains("final value", result.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAFinalReadTheVerdictIsUnknown()
    {
        Section(0, 1, 0, 1);
        Assert.Equal(Validity.Unknown, new LockChecker().Validate(history, Budget).Validity);
    }
}
