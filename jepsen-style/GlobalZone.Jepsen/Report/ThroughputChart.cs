using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Failpoint;
using GlobalZone.Jepsen.Traffic;

namespace GlobalZone.Jepsen.Report;

/// <summary>Completions per second over time, one line per ending (ok, fail, info), with the fault windows shaded.</summary>
internal static class ThroughputChart
{
    public static string Render(IReadOnlyList<Operation> history, RunClock clock, IReadOnlyList<FaultWindow> faults, double endSeconds)
    {
        var canvas = new SvgCanvas(1000, 300);
        var frame = new ChartFrame(canvas, 0, endSeconds);
        var bin = Math.Max(0.25, endSeconds / 150);
        var bins = (int)Math.Ceiling(endSeconds / bin) + 1;
        var counts = ChartFrame.Categories.Select(_ => new double[bins]).ToArray();
        foreach (var operation in history)
        {
            if (operation.CompleteTime is not { } completed || ProcessIds.IsObserver(operation.Process))
                continue;
            var index = (int)Math.Floor(clock.Seconds(completed) / bin);
            if (index >= 0 && index < bins)
                counts[ChartFrame.Category(operation)][index] += 1 / bin;
        }

        var max = Math.Max(1, counts.Max(series => series.Max()));
        var step = ChartFrame.NiceStep(max, 5);
        var top = Math.Ceiling(max / step) * step;
        double Y(double rate) => frame.Bottom - rate / top * (frame.Bottom - frame.Top);

        frame.Title("Throughput over time (completions per second)");
        frame.Legend(ChartFrame.Categories);
        frame.FaultWindows(faults);
        for (var rate = 0.0; rate <= top + 1e-9; rate += step)
        {
            canvas.Line(frame.Left, Y(rate), frame.Right, Y(rate), "#eceff1");
            canvas.Text(frame.Left - 6, Y(rate) + 4, rate.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture), 10, "end");
        }

        for (var category = 0; category < counts.Length; category++)
            canvas.Polyline(counts[category].Select((rate, i) => (frame.X((i + 0.5) * bin), Y(rate))), ChartFrame.Categories[category].Color);
        frame.TimeAxis();
        return canvas.ToString();
    }
}
