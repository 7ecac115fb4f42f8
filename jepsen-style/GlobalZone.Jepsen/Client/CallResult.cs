namespace GlobalZone.Jepsen.Client;

/// <summary>One HTTP call's classified ending, with the parts of the answer the workloads use.</summary>
/// <param name="Outcome">How it ended.</param>
/// <param name="Status">The HTTP status, or 0 when no answer came.</param>
/// <param name="Body">The response body (JSON), when there was one.</param>
/// <param name="Detail">A short explanation for failures, kept in the history's error field.</param>
internal readonly record struct CallResult(CallOutcome Outcome, int Status, string? Body, string? Detail)
{
    /// <summary>The text the history records as the error of a call that did not succeed.</summary>
    public string ErrorText => Detail is null ? Outcome.Describe() : Outcome.Describe() + ": " + Detail;
}
