using Microsoft.Extensions.Time.Testing;

namespace GlobalZone.ClientTests;

/// <summary>
/// A fake clock that counts the timers created on it. <c>Task.Delay(span, timeProvider)</c> creates one timer per
/// call, so a test can wait until a background loop is parked in its next delay before moving time on; advancing
/// earlier would start that delay from the later time and the loop would never wake.
/// </summary>
internal sealed class TimerCountingClock() : FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56))
{
    private int created;

    public int TimersCreated => Volatile.Read(ref created);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref created);
        return timer;
    }

    /// <summary>Polls (real time, with a deadline) until at least <paramref name="count"/> timers exist.</summary>
    public async Task WaitForTimersAsync(int count, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (TimersCreated < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{what}: {TimersCreated} timers created, waited for {count}");
            await Task.Delay(2);
        }
    }
}
