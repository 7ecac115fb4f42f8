namespace GlobalZone.Server.Api.OpenApi;

/// <summary>The document's words for answers and headers many routes share (one place, so they cannot drift apart).</summary>
internal static class ApiText
{
    public const string Title = "GlobalZone HTTP/JSON API";

    public const string Description =
        "Configuration and lock data in a Raft cluster across three sites. Every write is a command in the replicated log. Errors are RFC 9457 "
        + "problem+json. Read answers carry X-GZ-Revision (applied revision), X-GZ-Member, X-GZ-Leader and, on followers, X-GZ-Leader-Contact-Age-Ms.";

    public const string Bearer =
        "A token from POST /v1/auth/token. Needed on every /v1 route except the token exchange, auth status, /v1/cluster and this document, once "
        + "auth is enabled (off by default). 401 without a valid token, 403 when the user's roles lack the permission.";

    public const string BadInput = "Bad input: malformed JSON, unknown field, wrong type, bad key, bad parameter.";
    public const string Witness = "This member is the witness and serves no clients.";
    public const string NoLeader = "No leader (retry after Retry-After), or a stale read beyond maxStaleness.";
    public const string TooLarge = "Body over the value limit; refused before it reaches the log.";
    public const string IdempotencyReused = "Idempotency-Key reused for a different request.";
    public const string OutcomeUnknown = "Outcome unknown (leadership lost mid-write); retry with the same Idempotency-Key.";
    public const string FencingRejected = "If-Fencing-Token is not the current grant.";
    public const string Unauthenticated = "unauthenticated: no valid token (auth enabled)";
    public const string NeedsRoot = "permission-denied: the root role is needed";
    public const string NeedsRead = "permission-denied: the user's roles grant no read on the key (or prefix)";
    public const string NeedsWrite = "permission-denied: the user's roles grant no write on the key";
    public const string NeedsPermission = "permission-denied: a key of the request is outside the user's grants";

    public const string IdempotencyKey =
        "1-128 printable characters, one per logical write. The write applies at most once; a retry returns the first outcome with "
        + "Idempotent-Replayed: true. Remembered for IdempotencyWindowSeconds (default 1 h) in replicated state.";

    public const string IfFencingToken =
        "{lock}:{token} (a grant's 'fence'): apply only while that token is the current grant of the still-held lock; else 409 fencing-token-rejected.";
}
