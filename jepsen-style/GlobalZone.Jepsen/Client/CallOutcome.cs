namespace GlobalZone.Jepsen.Client;

/// <summary>How one HTTP call to a member ended, in the terms the history needs: did anything happen, and do we know?</summary>
internal enum CallOutcome
{
    /// <summary>2xx: done, and the answer is known.</summary>
    Ok,

    /// <summary>404: the key is absent (a successful read).</summary>
    NotFound,

    /// <summary>412: the If-Match condition did not hold; nothing was written.</summary>
    PreconditionFailed,

    /// <summary>503: no leader; the API promises nothing was done.</summary>
    NoLeader,

    /// <summary>504: the write reached a leader that lost leadership before its commit was known.</summary>
    OutcomeUnknown,

    /// <summary>421: the member is the witness, which serves no clients; nothing was done.</summary>
    Misdirected,

    /// <summary>Another 4xx: the server refused the request as written; nothing was done.</summary>
    Rejected,

    /// <summary>Another 5xx: the server failed somewhere; whether a write happened is unknown.</summary>
    ServerError,

    /// <summary>No connection could be made, so the request was never sent.</summary>
    Refused,

    /// <summary>No answer within the operation timeout.</summary>
    TimedOut,

    /// <summary>The connection broke after the request may have been sent.</summary>
    Broken,
}

/// <summary>What each outcome means for a history.</summary>
internal static class CallOutcomes
{
    /// <summary>True when the call certainly changed nothing it did not report (or it succeeded): fail/ok, never info.</summary>
    public static bool IsDefinite(this CallOutcome outcome) => outcome switch
    {
        CallOutcome.OutcomeUnknown or CallOutcome.ServerError or CallOutcome.TimedOut or CallOutcome.Broken => false,
        _ => true,
    };

    /// <summary>True when the member looks unusable from here, so the client should try another one.</summary>
    public static bool CallsForFailover(this CallOutcome outcome) =>
        outcome is CallOutcome.Refused or CallOutcome.TimedOut or CallOutcome.Broken or CallOutcome.NoLeader or CallOutcome.Misdirected;

    /// <summary>Short lowercase names used in histories' <c>error</c> fields.</summary>
    public static string Describe(this CallOutcome outcome) => outcome switch
    {
        CallOutcome.Ok => "ok",
        CallOutcome.NotFound => "not-found",
        CallOutcome.PreconditionFailed => "precondition-failed",
        CallOutcome.NoLeader => "no-leader",
        CallOutcome.OutcomeUnknown => "outcome-unknown",
        CallOutcome.Misdirected => "witness",
        CallOutcome.Rejected => "rejected",
        CallOutcome.ServerError => "server-error",
        CallOutcome.Refused => "refused",
        CallOutcome.TimedOut => "timed-out",
        _ => "connection-broken",
    };
}
