namespace GlobalZone.Jepsen.Failpoint;

/// <summary>
/// Runs faults in turn while traffic flows: wait <c>interval</c> (quiet), inject the next fault, hold it for
/// <c>duration</c>, heal; repeat until the run's time is up. Whatever is injected is healed before this returns.
/// </summary>
internal static class NemesisSchedule
{
    public static async Task<IReadOnlyList<FaultWindow>> RunAsync(
        IReadOnlyList<INemesis> turns, NemesisContext context, RunClock clock, TimeSpan interval, TimeSpan duration, TimeSpan total, CancellationToken abort)
    {
        var windows = new List<FaultWindow>();
        if (turns.Count == 0)
            return windows;
        var end = total.TotalSeconds;
        for (var turn = 0; !abort.IsCancellationRequested; turn++)
        {
            var quiet = interval.TotalSeconds;
            // A fault cut much shorter than asked for by the end of traffic shows little; it must get its full
            // duration or at least three seconds.
            if (clock.Now + quiet + Math.Min(duration.TotalSeconds, 3) > end)
                break;
            await DelayAsync(TimeSpan.FromSeconds(quiet), abort).ConfigureAwait(false);
            if (abort.IsCancellationRequested)
                break;

            var nemesis = turns[turn % turns.Count];
            string description;
            try
            {
                description = await nemesis.InjectAsync(context, abort).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                context.Log.Info($"nemesis {nemesis.Name} could not inject: {e.Message}");
                await HealQuietlyAsync(nemesis, context).ConfigureAwait(false);
                continue;
            }

            var start = clock.Now;
            context.Log.Info($"fault {nemesis.Name}: {description}");
            // Cut at the end of traffic, but never below what the check above promised: a late start (timers slip on a
            // busy machine) must not turn a fault into a blip.
            var hold = Math.Max(Math.Min(duration.TotalSeconds, end - start), Math.Min(duration.TotalSeconds, 3));
            await DelayAsync(TimeSpan.FromSeconds(hold), abort).ConfigureAwait(false);
            await HealQuietlyAsync(nemesis, context).ConfigureAwait(false);
            windows.Add(new FaultWindow(nemesis.Name, description, start, clock.Now));
            context.Log.Info($"healed {nemesis.Name}");
        }

        return windows;
    }

    private static async Task HealQuietlyAsync(INemesis nemesis, NemesisContext context)
    {
        try
        {
            // Healing must happen even when the run is being aborted.
            await nemesis.HealAsync(context, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException)
        {
            context.Log.Info($"nemesis {nemesis.Name} could not heal: {e.Message} (the run heals everything at the end)");
        }
    }

    private static async Task DelayAsync(TimeSpan delay, CancellationToken abort)
    {
        try
        {
            await Task.Delay(delay, abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // aborted: the caller heals and stops
        }
    }
}
