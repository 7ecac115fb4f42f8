namespace GlobalZone.Jepsen.Checker;

/// <summary>The answer to "is this history linearizable?".</summary>
public enum Verdict
{
    /// <summary>A linearization exists.</summary>
    Linearizable,

    /// <summary>No linearization exists; a counterexample says where the search got stuck.</summary>
    NotLinearizable,

    /// <summary>The search was stopped (timeout or cancellation) before it could decide.</summary>
    Unknown,
}
