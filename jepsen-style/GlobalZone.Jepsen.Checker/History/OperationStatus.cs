namespace GlobalZone.Jepsen.Checker;

/// <summary>How an operation ended, as far as the client could tell.</summary>
public enum OperationStatus
{
    /// <summary>The operation completed and its effect/result is known.</summary>
    Ok,

    /// <summary>
    /// The operation definitely did not change anything. For most kinds that makes it irrelevant, but a
    /// compare-and-set that failed is still an observation: the value was not the expected one.
    /// </summary>
    Fail,

    /// <summary>
    /// Indeterminate (Jepsen <c>:info</c>, a timeout, or no completion at all): the operation may have taken
    /// effect at any time after its invocation, or never.
    /// </summary>
    Info,
}
