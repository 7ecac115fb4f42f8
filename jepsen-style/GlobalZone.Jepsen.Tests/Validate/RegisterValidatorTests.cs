using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Tests.Validate;

public sealed class RegisterValidatorTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(10);

    [Fact]
    public void SequentialHistoryIsValid()
    {
        var history = new Histories()
            .Write(0, "r/0", "1", 0, 1)
            .Cas(1, "r/0", "1", "2", 2, 3, OperationStatus.Ok)
            .Read(2, "r/0", "2", 4, 5)
            .Cas(0, "r/0", "1", "3", 6, 7, OperationStatus.Fail, "saw 2");
        Assert.Equal(Validity.Valid, new RegisterValidator().Validate(history.Operations, Budget).Validity);
    }

    [Fact]
    public void StaleReadAfterAcknowledgedWriteIsInvalidAndNamesTheRead()
    {
        // The write of 2 completed before the read began, yet the read saw 1: the stale-read proof in miniature.
        var history = new Histories()
            .Write(0, "r/0", "1", 0, 1)
            .Write(1, "r/0", "2", 2, 3)
            .Read(2, "r/0", "1", 4, 5);
        var result = new RegisterValidator().Validate(history.Operations, Budget);
        Assert.Equal(Validity.Invalid, result.Validity);
        var offending = Assert.Single(result.Offending);
        Assert.Equal(OperationKind.Read, offending.Kind);
        Assert.Equal("1", offending.Output);
        Assert.Contains(result.Context, o => o.Kind == OperationKind.Write && o.Input == "2");
    }

    [Fact]
    public void AbortedCompareAndSetIsLeftOutRatherThanTreatedAsAnObservation()
    {
        // The register holds 1 throughout. A failed cas(1→2) would claim it saw another value (impossible), but one
        // that aborted (its read got a 503) observed nothing and must not make the history invalid.
        var aborted = new Histories()
            .Write(0, "r/0", "1", 0, 1)
            .Cas(1, "r/0", "1", "2", 2, 3, OperationStatus.Fail, "aborted: read on dc1-a no-leader: 503")
            .Read(2, "r/0", "1", 4, 5);
        var observed = new Histories()
            .Write(0, "r/0", "1", 0, 1)
            .Cas(1, "r/0", "1", "2", 2, 3, OperationStatus.Fail, "saw 3")
            .Read(2, "r/0", "1", 4, 5);

        var abortedResult = new RegisterValidator().Validate(aborted.Operations, Budget);
        Assert.Equal(Validity.Valid, abortedResult.Validity);
        Assert.Equal(1, abortedResult.Figures["aborted-cas-left-out"]);
        Assert.Equal(Validity.Invalid, new RegisterValidator().Validate(observed.Operations, Budget).Validity);
    }

    [Fact]
    public void KeysAreJudgedIndependently()
    {
        var history = new Histories()
            .Write(0, "r/0", "1", 0, 1)
            .Read(1, "r/0", "1", 2, 3)
            .Write(0, "r/1", "4", 0, 1)
            .Read(1, "r/1", "3", 2, 3);
        var result = new RegisterValidator().Validate(history.Operations, Budget);
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["keys-not-linearizable"]);
        Assert.All(result.Offending, o => Assert.Equal("r/1", o.Key));
    }
}
