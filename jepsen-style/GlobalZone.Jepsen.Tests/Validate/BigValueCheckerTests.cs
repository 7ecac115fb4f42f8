using GlobalZone.Jepsen.Traffic;
using GlobalZone.Jepsen.Traffic.BigValues;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Tests.Validate;

public sealed class BigValueCheckerTests
{
    private const string Key = "big/0/raw/0";
    private const int Writer = ProcessIds.BigValueWriters;
    private const int Reader = ProcessIds.BigValueFinalReads;

    // Write 1 acknowledged, write 5 failed for certain, write 9 acknowledged, write 13 unknown (never answered).
    private static Histories Writes() => new Histories()
        .Write(Writer, Key, "seq=1 bytes=600000", 0, 10)
        .Write(Writer, Key, "seq=5 bytes=700000", 20, 30, OperationStatus.Fail, "dc1-a no-leader")
        .Write(Writer, Key, "seq=9 bytes=800000", 40, 50)
        .Write(Writer, Key, "seq=13 bytes=900000", 60, null);

    private static ValidationResult Check(Histories history) => new BigValueChecker().Validate(history.Operations, TimeSpan.FromSeconds(5));

    [Fact]
    public void TheLastAcknowledgedWriteOnEveryVoterIsValid()
    {
        var result = Check(Writes().Read(Reader, Key, "seq=9 bytes=800000", 100, 101, input: "dc1-a").Read(Reader + 1, Key, "seq=9 bytes=800000", 100, 102, input: "dc2-a"));

        Assert.Equal(Validity.Valid, result.Validity);
        Assert.Equal(2, result.Figures["writes-ok"]);
        Assert.Equal(1, result.Figures["writes-fail"]);
        Assert.Equal(1, result.Figures["writes-unknown"]);
        Assert.Equal(1_400_000, result.Figures["bytes-acknowledged"]);
    }

    [Fact]
    public void AnUnknownWriteThatTookEffectIsValid()
    {
        var result = Check(Writes().Read(Reader, Key, "seq=13 bytes=900000", 100, 101, input: "dc1-a"));

        Assert.Equal(Validity.Valid, result.Validity);
    }

    [Fact]
    public void AnAcknowledgedWriteLostFromTheKeyIsInvalid()
    {
        var result = Check(Writes().Read(Reader, Key, null, 100, 101, input: "dc1-a"));

        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["lost"]);
        Assert.Single(result.Offending);
    }

    [Fact]
    public void AnOlderValueThanAcknowledgedIsInvalid()
    {
        var result = Check(Writes().Read(Reader, Key, "seq=9 bytes=800000", 100, 101, input: "dc1-a").Read(Reader + 1, Key, "seq=1 bytes=600000", 100, 101, input: "dc2-a"));

        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["older-than-acknowledged"]);
        Assert.Contains("older than the acknowledged write 9", result.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void AFailedWritesValueIsInvalid()
    {
        // Write 5 was refused for certain, so it must never be seen, even with no acknowledged write after it.
        var history = new Histories()
            .Write(Writer, Key, "seq=1 bytes=600000", 0, 10)
            .Write(Writer, Key, "seq=5 bytes=700000", 20, 30, OperationStatus.Fail, "dc1-a no-leader")
            .Read(Reader, Key, "seq=5 bytes=700000", 100, 101, input: "dc1-a");

        var result = Check(history);

        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["failed-but-present"]);
    }

    [Fact]
    public void CorruptedContentIsInvalid()
    {
        var value = BigValueContent.Create(Key, 9, 800_000);
        value[500_000] ^= 0x01;
        var observed = BigValueContent.Inspect(Key, value, json: false).ToString();

        var result = Check(Writes().Read(Reader, Key, observed, 100, 101, input: "dc1-a"));

        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["corrupted"]);
    }

    [Fact]
    public void AValueOfTheRightWriteButTheWrongLengthIsInvalid()
    {
        var result = Check(Writes().Read(Reader, Key, "seq=9 bytes=799999", 100, 101, input: "dc1-a"));

        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["corrupted"]);
    }

    [Fact]
    public void AWriteNeverAttemptedOnTheKeyIsInvalid()
    {
        var result = Check(Writes().Read(Reader, Key, "seq=11 bytes=800000", 100, 101, input: "dc1-a"));

        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["never-written"]);
    }

    [Fact]
    public void ATransactionCountsForEveryKeyOfItsGroup()
    {
        var group = BigValueKeys.TransactionGroup(0);
        var history = new Histories()
            .Write(Writer, group, "seq=4 bytes=8064 keys=128", 0, 10)
            .Write(Writer, group, "seq=8 bytes=8064 keys=128", 20, 30)
            .Read(Reader, BigValueKeys.InGroup(group, 0), "seq=8 bytes=8064", 100, 101, input: "dc1-a")
            .Read(Reader, BigValueKeys.InGroup(group, 127), "seq=4 bytes=8064", 100, 101, input: "dc1-a");

        var result = Check(history);

        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["older-than-acknowledged"]);
        Assert.Equal(128, result.Figures["keys"]);
        Assert.Equal(2 * 128 * 8064, result.Figures["bytes-acknowledged"]);
        Assert.Contains("big/0/txn/127", result.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void AVoterThatNeverAnsweredForAKeyWithAcknowledgedWritesLeavesTheAnswerUnknown()
    {
        // dc2-a holds the last acknowledged write; dc1-a never answered, so its copy is unchecked.
        var result = Check(Writes()
            .Read(Reader, Key, null, 100, 101, OperationStatus.Fail, "dc1-a no-leader", input: "dc1-a")
            .Read(Reader + 1, Key, "seq=9 bytes=800000", 100, 101, input: "dc2-a"));

        Assert.Equal(Validity.Unknown, result.Validity);
        Assert.Equal(1, result.Figures["copies-unread"]);
        Assert.Contains("dc1-a never answered", result.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void AcknowledgedWritesWithoutAnyFinalReadLeaveTheAnswerUnknown()
    {
        var result = Check(Writes());

        Assert.Equal(Validity.Unknown, result.Validity);
        Assert.Contains("no final read", result.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void TheWorkloadsCheckerNeverSeesBigValueOperations()
    {
        // A set history plus big-value traffic: the set checker judges only its own operations, and the verdict is the worst.
        var history = Writes()
            .Write(0, "set/1", "1", 0, 5)
            .Read(Reader, Key, null, 100, 101, input: "dc1-a")
            .Read(ProcessIds.FinalReads, SetWorkload.Prefix, "[1]", 100, 101);

        var results = RunChecks.Validate("set", bigValues: true, history.Operations, TimeSpan.FromSeconds(5));

        Assert.Equal(Validity.Valid, results[0].Validity);
        Assert.Equal(1, results[0].Figures["attempted"]);
        Assert.Equal(Validity.Invalid, results[1].Validity);
        Assert.Equal(BigValueChecker.Name, RunChecks.Headline(results).Checker);
        Assert.Equal(Validity.Invalid, ValidationResult.Worst(results.Select(r => r.Validity)));
    }
}
