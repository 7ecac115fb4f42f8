namespace GlobalZone.Client.Internal;

/// <summary>How far one operation may retry: attempts and time. Usually the client's options; shorter for keep-alives.</summary>
internal sealed record RetryLimits(int MaxAttempts, TimeSpan Budget);
