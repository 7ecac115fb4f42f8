using System.Globalization;
using GlobalZone.Contracts.Testing;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>
/// TEST-ONLY (<c>GlobalZone:Testing:EnablePeerFailpoints</c>): failpoints on what this member sends other members,
/// armed and disarmed at run time through <see cref="PeerFailpointRoutes.Failpoints"/>. They let a test build exact
/// Raft situations with real processes, e.g. a follower that stores and acknowledges entries but never hears that
/// they are committed (issue 12). Registered only when the switch is on; the member logs a warning at start.
/// </summary>
public sealed partial class PeerFailpoints(NodeOptions options, ILogger<PeerFailpoints> logger)
{
    /// <summary>DotNext's HTTP transport names each Raft message in this header (see its <c>HttpMessage</c>).</summary>
    public const string MessageTypeHeader = "X-Raft-Message-Type";

    public const string AppendEntriesMessageType = "AppendEntries";

    /// <summary>The leader's commit index in an AppendEntries request; the follower commits up to min(this, its last entry).</summary>
    public const string CommitIndexHeader = "X-Raft-Commit-Index";

    private readonly Lock sync = new();
    private readonly Dictionary<string, Armed> armed = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, long> lastCommitIndexSent = new(StringComparer.OrdinalIgnoreCase);
    private volatile bool crashAfterAcknowledgingEntries;

    /// <summary>Armed by <see cref="PeerFailpointActions.CrashAfterAcknowledgingEntries"/>; the server's Raft route acts on it.</summary>
    public bool CrashAfterAcknowledgingEntries => crashAfterAcknowledgingEntries;

    /// <summary>Arms (or disarms) the failpoint for one target and returns it as armed.</summary>
    /// <exception cref="ArgumentException">An unknown member or action, or a negative cap.</exception>
    public PeerFailpoint Arm(PeerFailpointRequest request)
    {
        var (member, authority) = Resolve(request.Member);
        if (request.CommitIndexCap is < 0)
            throw new ArgumentException("commitIndexCap must not be negative.");
        lock (sync)
        {
            switch (request.Action)
            {
                case PeerFailpointActions.None:
                    armed.Remove(authority);
                    if (member == options.MemberId)
                        crashAfterAcknowledgingEntries = false;
                    LogDisarmed(member);
                    return new PeerFailpoint { Member = member, Authority = authority, Action = PeerFailpointActions.None };
                case PeerFailpointActions.HoldCommitIndex:
                    // Without an explicit cap, the target may keep what it was already told and learn nothing more. Read
                    // under the lock that also records what each request carries, so no request slips past between.
                    var cap = request.CommitIndexCap ?? lastCommitIndexSent.GetValueOrDefault(authority);
                    armed[authority] = new Armed(member, PeerFailpointActions.HoldCommitIndex, cap);
                    LogHoldingCommitIndex(member, cap);
                    break;
                case PeerFailpointActions.Drop:
                    armed[authority] = new Armed(member, PeerFailpointActions.Drop, null);
                    LogDropping(member);
                    break;
                case PeerFailpointActions.CrashAfterAcknowledgingEntries:
                    if (member != options.MemberId)
                        throw new ArgumentException($"{PeerFailpointActions.CrashAfterAcknowledgingEntries} acts on what this member receives: name this member ({options.MemberId}).");
                    armed[authority] = new Armed(member, PeerFailpointActions.CrashAfterAcknowledgingEntries, null);
                    crashAfterAcknowledgingEntries = true;
                    LogCrashArmed();
                    break;
                default:
                    throw new ArgumentException(
                        $"Unknown action '{request.Action}' (known: {PeerFailpointActions.HoldCommitIndex}, {PeerFailpointActions.Drop}, "
                        + $"{PeerFailpointActions.CrashAfterAcknowledgingEntries}, {PeerFailpointActions.None}).");
            }

            return Describe(authority, armed[authority]);
        }
    }

    public void DisarmAll()
    {
        lock (sync)
            armed.Clear();
        crashAfterAcknowledgingEntries = false;
        LogDisarmed("every member");
    }

    public IReadOnlyList<PeerFailpoint> Current()
    {
        lock (sync)
            return armed.Select(a => Describe(a.Key, a.Value)).ToList();
    }

    /// <summary>
    /// Applies the armed failpoint, if any, to one outgoing request: returns the exception to fail it with (drop), or
    /// null after capping an AppendEntries commit index as needed.
    /// </summary>
    internal HttpRequestException? Intercept(HttpRequestMessage request)
    {
        if (request.RequestUri is not { IsAbsoluteUri: true } uri)
            return null;
        var authority = uri.Authority;
        lock (sync)
        {
            armed.TryGetValue(authority, out var failpoint);
            if (failpoint is { Action: PeerFailpointActions.Drop })
            {
                failpoint.Dropped++;
                return new HttpRequestException($"TEST-ONLY failpoint: request to {failpoint.Member} dropped.");
            }

            if (!IsAppendEntries(request) || !TryGetCommitIndex(request, out var commitIndex))
                return null;
            if (failpoint is { Action: PeerFailpointActions.HoldCommitIndex, CommitIndexCap: { } cap } && commitIndex > cap)
            {
                request.Headers.Remove(CommitIndexHeader);
                request.Headers.TryAddWithoutValidation(CommitIndexHeader, cap.ToString(CultureInfo.InvariantCulture));
                failpoint.Rewritten++;
                commitIndex = cap;
            }

            lastCommitIndexSent[authority] = Math.Max(commitIndex, lastCommitIndexSent.GetValueOrDefault(authority));
            return null;
        }
    }

    private static bool IsAppendEntries(HttpRequestMessage request)
        => request.Headers.TryGetValues(MessageTypeHeader, out var types) && types.Contains(AppendEntriesMessageType, StringComparer.Ordinal);

    private static bool TryGetCommitIndex(HttpRequestMessage request, out long commitIndex)
    {
        commitIndex = 0;
        return request.Headers.TryGetValues(CommitIndexHeader, out var values)
               && long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out commitIndex);
    }

    private (string Member, string Authority) Resolve(string member)
    {
        if (options.Members.FirstOrDefault(m => m.Id == member) is { } known)
            return (known.Id, new Uri(known.Url, UriKind.Absolute).Authority);
        if (Uri.TryCreate(member, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
            return (options.Members.FirstOrDefault(m => Uri.TryCreate(m.Url, UriKind.Absolute, out var u) && u.Authority == url.Authority)?.Id ?? url.Authority, url.Authority);
        throw new ArgumentException($"Unknown member '{member}': give a member id from the member list or a member URL.");
    }

    private static PeerFailpoint Describe(string authority, Armed armed) => new()
    {
        Member = armed.Member,
        Authority = authority,
        Action = armed.Action,
        CommitIndexCap = armed.CommitIndexCap,
        Rewritten = armed.Rewritten,
        Dropped = armed.Dropped,
    };

    /// <summary>One armed failpoint; its counters change under <see cref="sync"/>.</summary>
    private sealed class Armed(string member, string action, long? commitIndexCap)
    {
        public string Member { get; } = member;

        public string Action { get; } = action;

        public long? CommitIndexCap { get; } = commitIndexCap;

        public long Rewritten { get; set; }

        public long Dropped { get; set; }
    }

    [LoggerMessage(EventId = 1400, Level = LogLevel.Warning, Message = "TEST-ONLY failpoint: AppendEntries to {Member} now carry a commit index of at most {Cap}")]
    private partial void LogHoldingCommitIndex(string member, long cap);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "TEST-ONLY failpoint: every request to {Member} is now dropped before it leaves")]
    private partial void LogDropping(string member);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Warning, Message = "TEST-ONLY failpoint: this member kills itself right after it next acknowledges entries")]
    private partial void LogCrashArmed();

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "TEST-ONLY failpoint disarmed for {Member}")]
    private partial void LogDisarmed(string member);
}
