using System.Diagnostics;

namespace GlobalZone.Jepsen;

/// <summary>
/// The run's time base: the history records <see cref="Stopwatch"/> timestamps, fault windows and reports speak in
/// seconds since <see cref="Origin"/> (when traffic began).
/// </summary>
internal sealed class RunClock(long origin, long frequency)
{
    public RunClock()
        : this(Stopwatch.GetTimestamp(), Stopwatch.Frequency)
    {
    }

    /// <summary>The Stopwatch timestamp of second 0.</summary>
    public long Origin { get; } = origin;

    /// <summary>Stopwatch ticks per second of the timestamps in the history.</summary>
    public long Frequency { get; } = frequency;

    public double Now => Seconds(Stopwatch.GetTimestamp());

    public double Seconds(long timestamp) => (timestamp - Origin) / (double)Frequency;

    public double Milliseconds(long from, long to) => (to - from) * 1000.0 / Frequency;
}
