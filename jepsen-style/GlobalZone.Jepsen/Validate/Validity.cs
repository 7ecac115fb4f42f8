namespace GlobalZone.Jepsen.Validate;

/// <summary>A checker's answer, and the harness's exit code for it.</summary>
internal enum Validity
{
    /// <summary>The history satisfies the property (exit code 0).</summary>
    Valid = 0,

    /// <summary>The history violates it; the result says where (exit code 1).</summary>
    Invalid = 1,

    /// <summary>The checker could not decide (budget ran out, final reads failed) or the run broke (exit code 2).</summary>
    Unknown = 2,
}
