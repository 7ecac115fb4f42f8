namespace GlobalZone.Contracts;

/// <summary>Input limits enforced before a command is replicated.</summary>
public static class Limits
{
    /// <summary>Longest key, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 1024;

    /// <summary>Default largest value, in bytes (configurable on the server).</summary>
    public const int DefaultMaxValueBytes = 1 << 20;

    /// <summary>Most operations in one transaction.</summary>
    public const int MaxTxnOperations = 128;

    /// <summary>Longest Idempotency-Key header value.</summary>
    public const int MaxIdempotencyKeyLength = 128;
}
