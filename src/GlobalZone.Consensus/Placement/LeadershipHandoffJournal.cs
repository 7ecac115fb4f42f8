using GlobalZone.Contracts;

namespace GlobalZone.Consensus;

/// <summary>
/// The last deliberate leadership hand-off this member performed (as the witness or as a leader outside the
/// preferred site), completed with who led next. Shown by <c>GET /v1/cluster</c>, on every member through the
/// progress probes.
/// </summary>
/// <param name="time">The clock the hand-off times are read from (wall-clock times, shown to operators).</param>
public sealed class LeadershipHandoffJournal(TimeProvider time)
{
    private readonly Lock gate = new();
    private LeadershipHandoff? last;

    public LeadershipHandoff? Last
    {
        get
        {
            lock (gate)
                return last;
        }
    }

    public void Begin(string kind, string fromMemberId, string? targetMemberId, long term, string? detail = null)
    {
        lock (gate)
        {
            last = new LeadershipHandoff
            {
                Kind = kind,
                FromMemberId = fromMemberId,
                TargetMemberId = targetMemberId,
                Term = term,
                StartedAt = time.GetUtcNow(),
                Detail = detail,
            };
        }
    }

    /// <summary>
    /// Notes that the member stepped down (or, with <paramref name="abandoned"/>, that it gave up before), and the
    /// term it led when that is known only now (the witness decides to lead before it has a term of its own).
    /// </summary>
    public void Resigned(string? detail, bool abandoned = false, long? ledTerm = null)
    {
        lock (gate)
        {
            if (last is null)
                return;
            last = abandoned
                ? last with { Detail = detail ?? last.Detail, CompletedAt = time.GetUtcNow() }
                : last with { ResignedAt = time.GetUtcNow(), Detail = detail ?? last.Detail, Term = ledTerm ?? last.Term };
        }
    }

    /// <summary>Called on every leader change: the first leader other than the one that stepped down completes the hand-off.</summary>
    public void ObserveLeader(string? leaderId)
    {
        lock (gate)
        {
            if (last is { ResignedAt: not null, CompletedAt: null } pending && leaderId is not null && leaderId != pending.FromMemberId)
                last = pending with { ToMemberId = leaderId, CompletedAt = time.GetUtcNow() };
        }
    }

    /// <summary>The most recent of several members' hand-offs.</summary>
    public static LeadershipHandoff? Newest(IEnumerable<LeadershipHandoff?> handoffs)
        => handoffs.Where(h => h is not null).MaxBy(h => h!.StartedAt);
}
