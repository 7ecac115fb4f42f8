namespace GlobalZone.Contracts;

/// <summary>Stable <c>type</c> URIs of RFC 9457 problem responses.</summary>
public static class ProblemTypes
{
    private const string Prefix = "https://globalzone.dev/problems/";

    public const string BadRequest = Prefix + "bad-request";
    public const string InvalidJson = Prefix + "invalid-json";
    public const string InvalidKey = Prefix + "invalid-key";
    public const string ValueTooLarge = Prefix + "value-too-large";
    public const string NotFound = Prefix + "not-found";
    public const string KeyNotFound = Prefix + "key-not-found";
    public const string PreconditionFailed = Prefix + "precondition-failed";
    public const string NoLeader = Prefix + "no-leader";
    public const string OutcomeUnknown = Prefix + "outcome-unknown";
    public const string Unavailable = Prefix + "unavailable";
    public const string WitnessNoClients = Prefix + "witness-serves-no-clients";
    public const string TooStale = Prefix + "too-stale";
    public const string Internal = Prefix + "internal";
    public const string UnsupportedMediaType = Prefix + "unsupported-media-type";
    public const string LeaseNotFound = Prefix + "lease-not-found";
    public const string LeaseExists = Prefix + "lease-exists";
    public const string LockNotFound = Prefix + "lock-not-found";
    public const string LockHeld = Prefix + "lock-held";
    public const string LockNotHeld = Prefix + "lock-not-held";

    /// <summary>The name is held or awaited as another kind of lock (or a semaphore of another limit), or the lease holds it in another mode.</summary>
    public const string LockKindConflict = Prefix + "lock-kind-conflict";
    public const string FencingTokenRejected = Prefix + "fencing-token-rejected";
    public const string RevisionCompacted = Prefix + "revision-compacted";
    public const string IdempotencyKeyReused = Prefix + "idempotency-key-reused";
    public const string MethodNotAllowed = Prefix + "method-not-allowed";

    /// <summary>A Raft or <c>/internal</c> request without a client certificate of a current member (mutual TLS).</summary>
    public const string PeerNotAuthenticated = Prefix + "peer-not-authenticated";
    public const string NotLeader = Prefix + "not-leader";
    public const string ClusterMismatch = Prefix + "cluster-mismatch";
    public const string MemberNotFound = Prefix + "member-not-found";
    public const string MembershipConflict = Prefix + "membership-conflict";
    public const string MemberUnavailable = Prefix + "member-unavailable";

    /// <summary>This member's storage failed while applying; it serves nothing until restarted on a mended disk.</summary>
    public const string MemberFaulted = Prefix + "member-faulted";

    /// <summary>This member is stopping (a stop signal arrived); it serves no more client requests. Ask another member.</summary>
    public const string MemberStopping = Prefix + "member-stopping";

    // Bounded resources (README "Limits"). A member's own capacity (watches, blocking reads, idempotency records it
    // holds) answers 503 + Retry-After: another member, or the same one later, can serve. A cluster-wide quota
    // (leases, lock waiters) answers 429 + Retry-After: nothing is applied, so retrying later is always safe.
    public const string TooManyWatches = Prefix + "too-many-watches";
    public const string TooManyBlockingReads = Prefix + "too-many-blocking-reads";
    public const string TooManyIdempotencyRecords = Prefix + "too-many-idempotency-records";
    public const string TooManyLeases = Prefix + "too-many-leases";
    public const string TooManyLockWaiters = Prefix + "too-many-lock-waiters";

    /// <summary>
    /// An idempotent retry of a lock acquisition or lease keep-alive whose first outcome is no longer true (the
    /// grant passed to another lease, the lease ended): answered 409 instead of repeating the old success.
    /// </summary>
    public const string ReplaySuperseded = Prefix + "replay-superseded";

    // Users and roles (README "Security: users and roles").
    /// <summary>401: no token, or a token that is invalid, expired, or names a user that no longer exists.</summary>
    public const string Unauthenticated = Prefix + "unauthenticated";

    /// <summary>403: the user's roles do not grant what the request needs.</summary>
    public const string PermissionDenied = Prefix + "permission-denied";

    /// <summary>401 from <c>POST /v1/auth/token</c>: unknown user or wrong password (not told apart).</summary>
    public const string InvalidCredentials = Prefix + "invalid-credentials";

    /// <summary>429 from <c>POST /v1/auth/token</c>: too many attempts for the user from this address, or too many checks at once (see <c>Retry-After</c>).</summary>
    public const string TooManyRequests = Prefix + "too-many-requests";

    /// <summary>409 from <c>POST /v1/auth/token</c> while auth is off: no token is needed (or issued).</summary>
    public const string AuthNotEnabled = Prefix + "auth-not-enabled";

    public const string UserNotFound = Prefix + "user-not-found";
    public const string RoleNotFound = Prefix + "role-not-found";

    /// <summary>409: a user or role exists already, or the change would lock the operator out (root).</summary>
    public const string AuthConflict = Prefix + "auth-conflict";
}
