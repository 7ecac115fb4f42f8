using System.Net.Http.Headers;

namespace GlobalZone.Client.Internal;

/// <summary>Pauses between attempts: exponential with "equal jitter", and the server's <c>Retry-After</c> honoured within a cap.</summary>
internal static class Backoff
{
    /// <summary>
    /// The pause before round <paramref name="round"/> (1 = after every candidate failed once): half of
    /// <c>initial·2^(round-1)</c> (capped at <paramref name="max"/>) plus a random part up to the other half, so that
    /// many clients that failed together do not come back together.
    /// </summary>
    public static TimeSpan Delay(int round, TimeSpan initial, TimeSpan max, Random random)
    {
        if (round < 1)
            return TimeSpan.Zero;
        var exponential = Math.Min(max.Ticks, initial.Ticks * (1L << Math.Min(round - 1, 30)));
        var half = exponential / 2;
        return TimeSpan.FromTicks(half + (long)(random.NextDouble() * (exponential - half)));
    }

    /// <summary>What a 503's <c>Retry-After</c> asks for (seconds or a date), capped; null when it says nothing usable.</summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now, TimeSpan cap)
    {
        TimeSpan? wanted = header switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => null,
        };
        if (wanted is not { } value)
            return null;
        if (value < TimeSpan.Zero)
            value = TimeSpan.Zero;
        return value > cap ? cap : value;
    }
}
