using GlobalZone.Jepsen.Traffic;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Tests.Validate;

/// <summary>The rwlock and semaphore checker passes legal histories and finds each planted violation.</summary>
public sealed class SharedLockCheckerTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);
    private readonly List<Operation> history = [];

    private SharedLockCheckerTests Section(bool semaphore, int process, string mode, long token, long invoke, long complete, (string Mode, long Token)[] seen,
        long wrote = 0, OperationStatus status = OperationStatus.Ok)
    {
        var section = new SharedLockWorkload.Section
        {
            Mode = mode, Lease = process + 1, Token = token, Read = wrote > 0 ? wrote - 1 : 0, Wrote = wrote, Revision = wrote > 0 ? 100 + wrote : 0,
            Seen = seen.Select(g => new SharedLockWorkload.SeenGrant(g.Token, g.Mode, g.Token)).ToList(),
        };
        HoldRecords.Add(history, process, SharedLockWorkload.SectionKey(semaphore), section, status, invoke, complete);
        return this;
    }

    private ValidationResult Check(bool semaphore, long? finalValue = null)
    {
        if (finalValue is { } value)
        {
            history.Add(new Operation
            {
                Process = ProcessIds.FinalReads, Kind = OperationKind.Read, Key = SharedLockWorkload.CounterKey,
                Output = value.ToString(System.Globalization.CultureInfo.InvariantCulture), Status = OperationStatus.Ok, InvokeTime = 10_000, CompleteTime = 10_001,
            });
        }

        return new SharedLockChecker(semaphore).Validate(history, Budget);
    }

    [Fact]
    public void ReadersTogetherThenAWriterAloneIsValid()
    {
        var result = Section(false, 0, "read", 1, 0, 20, [("read", 1), ("read", 2)])
            .Section(false, 1, "read", 2, 5, 25, [("read", 1), ("read", 2)])
            .Section(false, 2, "write", 3, 10, 40, [("write", 3)], wrote: 1)
            .Check(false, finalValue: 1);
        Assert.Equal(Validity.Valid, result.Validity);
        Assert.Equal(2, result.Figures["most-holders-seen"]);
    }

    [Fact]
    public void AWriterBesideAReaderIsFound()
    {
        var result = Section(false, 0, "read", 1, 0, 20, [("read", 1), ("write", 2)])
            .Section(false, 1, "write", 2, 5, 25, [("read", 1), ("write", 2)], wrote: 1)
            .Check(false, finalValue: 1);
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(2, result.Figures["illegal-states"]);
    }

    [Fact]
    public void TwoWritersIncrementingTheSameValueAreFound()
    {
        var result = Section(false, 0, "write", 1, 0, 20, [("write", 1)], wrote: 1)
            .Section(false, 1, "write", 2, 5, 25, [("write", 2)], wrote: 1)
            .Check(false, finalValue: 1);
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(2, result.Figures["interleaved"]);
    }

    [Fact]
    public void ASemaphoreWithinItsLimitIsValidAndOverItIsFound()
    {
        (string, long)[] three = [("permit", 1), ("permit", 2), ("permit", 3)];
        Assert.Equal(Validity.Valid, Section(true, 0, "permit", 1, 0, 10, three).Section(true, 1, "permit", 2, 1, 11, three).Section(true, 2, "permit", 3, 2, 12, three).Check(true).Validity);

        history.Clear();
        var result = Section(true, 0, "permit", 4, 0, 10, [("permit", 1), ("permit", 2), ("permit", 3), ("permit", 4)]).Check(true);
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Contains("4 holders of a semaphore of 3", result.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void ATokenSmallerThanOneGrantedBeforeIsFound()
    {
        // p1's section finished at 10; p2 began at 20 and was granted a smaller token: grants went backwards.
        var result = Section(true, 0, "permit", 7, 0, 10, [("permit", 7)]).Section(true, 1, "permit", 5, 20, 30, [("permit", 5)]).Check(true);
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["token-order-violations"]);

        // The same lease asking again while its grant lives on (its release was lost) gets the same grant: no violation.
        history.Clear();
        Assert.Equal(Validity.Valid, Section(true, 0, "permit", 7, 0, 10, [("permit", 7)]).Section(true, 1, "permit", 8, 5, 15, [("permit", 7), ("permit", 8)])
            .Section(true, 0, "permit", 7, 20, 30, [("permit", 7)]).Check(true).Validity);

        // Overlapping sections may be granted in either order.
        history.Clear();
        Assert.Equal(Validity.Valid, Section(true, 0, "permit", 7, 0, 30, [("permit", 7)]).Section(true, 1, "permit", 5, 10, 20, [("permit", 5)]).Check(true).Validity);
    }
}
