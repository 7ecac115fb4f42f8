using GlobalZone.Jepsen.Traffic;
using GlobalZone.Jepsen.Validate;

namespace GlobalZone.Jepsen.Tests.Validate;

public sealed class ElectionCheckerTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);
    private readonly List<Operation> history = [];

    private ElectionCheckerTests Term(int process, long token, long[] acts, OperationStatus status = OperationStatus.Ok, long pausedMs = 0, bool fenced = true)
    {
        var term = new ElectionWorkload.Term { Fenced = fenced, Lease = process + 100, Candidate = $"p{process}", Token = token, Acts = acts, PausedMs = pausedMs };
        HoldRecords.Add(history, process, ElectionWorkload.ActsKey, term, status, history.Count * 10, history.Count * 10 + 5);
        return this;
    }

    private ValidationResult Check() => new ElectionChecker().Validate(history, Budget);

    [Fact]
    public void LeadersActingOneAfterAnotherInTokenOrderAreValid()
    {
        var result = Term(0, 1, [2, 3, 4]).Term(1, 2, [6, 7, 8]).Term(2, 4, [10, 11, 12]).Check();
        Assert.Equal(Validity.Valid, result.Validity);
        Assert.Equal(9, result.Figures["acts"]);
        Assert.Equal(0, result.Figures["overlaps"]);
    }

    [Fact]
    public void StalledLeaderRefusedByFencingAndCandidatesNotElectedAreValid()
    {
        // Token 1 acted once, stalled past its lease, token 2 was elected and acted; token 1's next act was refused.
        var result = Term(1, 2, [5, 6, 7]).Term(0, 1, [3], OperationStatus.Ok, pausedMs: 6000).Term(2, 0, [], OperationStatus.Fail).Check();
        Assert.Equal(Validity.Valid, result.Validity);
        Assert.Equal(1, result.Figures["stalled-leaders"]);
    }

    [Fact]
    public void PlantedOverlapOfADeposedLeaderIsFound()
    {
        // The planted bug: unfenced, the stalled leader with token 1 acts at revision 8, after token 2 took over at 6.
        var result = Term(0, 1, [3, 8], pausedMs: 6000, fenced: false).Term(1, 2, [6, 7, 9], fenced: false).Check();
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["overlaps"]);
        Assert.Contains("overlap: p0 (token 1) acted at revision 8, after p1 (token 2) acted at revision 7", result.Details);
        Assert.Equal(0, Assert.Single(result.Offending).Process);
    }

    [Fact]
    public void PlantedSharedTokenIsFound()
    {
        var result = Term(0, 5, [3]).Term(1, 5, [4]).Check();
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(1, result.Figures["shared-tokens"]);
        Assert.Equal(2, result.Offending.Count);
    }

    [Fact]
    public void NoActAcceptedIsUnknown()
        => Assert.Equal(Validity.Unknown, Term(0, 0, [], OperationStatus.Fail).Check().Validity);
}
