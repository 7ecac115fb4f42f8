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
    public const string PreconditionFailed = Prefix + "precondition-failed";
    public const string NoLeader = Prefix + "no-leader";
    public const string OutcomeUnknown = Prefix + "outcome-unknown";
    public const string Unavailable = Prefix + "unavailable";
    public const string WitnessNoClients = Prefix + "witness-serves-no-clients";
    public const string TooStale = Prefix + "too-stale";
    public const string Internal = Prefix + "internal";
}
