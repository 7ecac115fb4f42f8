namespace GlobalZone.Consensus;

/// <summary>
/// Test-only fault injection (<c>GlobalZone:Testing:*</c>), so tests can prove a failure path is handled by causing it
/// for real in one member. Everything is off by default; nothing here belongs in a production configuration.
/// </summary>
public sealed record TestingOptions
{
    /// <summary>Every store write of a storage key containing this text fails as an I/O error would (null: none).</summary>
    public string? FailStorageWritesContaining { get; init; }
}
