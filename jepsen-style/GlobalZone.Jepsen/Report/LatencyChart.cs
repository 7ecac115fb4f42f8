using System.Globalization;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Failpoint;
using GlobalZone.Jepsen.Traffic;

namespace GlobalZone.Jepsen.Report;

/// <summary>
/// Every operation as a dot: when it was invoked (across) and how long it took (up, logarithmic), coloured by how it
/// ended, with the fault windows shaded. Operations that never completed are not drawn (they have no latency).
/// </summary>
internal static class LatencyChart
{
    public static string Render(IReadOnlyList<Operation> history, RunClock clock, IReadOnlyList<FaultWindow> faults, double endSeconds)
    {
        var canvas = new SvgCanvas(1000, 340);
        var frame = new ChartFrame(canvas, 0, endSeconds);
        var completed = history.Where(o => o.CompleteTime is not null && !ProcessIds.IsObserver(o.Process)).ToList();
        var maxMs = completed.Count == 0 ? 1 : completed.Max(o => clock.Milliseconds(o.InvokeTime, o.CompleteTime!.Value));
        const double minMs = 0.1;
        var topMs = Math.Pow(10, Math.Max(3, Math.Ceiling(Math.Log10(Math.Max(maxMs, 1)))));
        double Y(double ms) => frame.Bottom - (Math.Log10(Math.Max(ms, minMs)) - Math.Log10(minMs)) / (Math.Log10(topMs) - Math.Log10(minMs)) * (frame.Bottom - frame.Top);

        frame.Title("Latency over time");
        frame.Legend(ChartFrame.Categories);
        frame.FaultWindows(faults);
        for (var ms = minMs; ms <= topMs * 1.001; ms *= 10)
        {
            var y = Y(ms);
            canvas.Line(frame.Left, y, frame.Right, y, "#eceff1");
            canvas.Text(frame.Left - 6, y + 4, ms < 1 ? ms.ToString("0.#", CultureInfo.InvariantCulture) + " ms" : ms >= 1000 ? (ms / 1000).ToString("0", CultureInfo.InvariantCulture) + " s" : ms.ToString("0", CultureInfo.InvariantCulture) + " ms", 10, "end");
        }

        // Draw ok first so rarer failures and unknowns stay visible on top.
        foreach (var operation in completed.OrderBy(ChartFrame.Category))
        {
            var ms = clock.Milliseconds(operation.InvokeTime, operation.CompleteTime!.Value);
            canvas.Circle(frame.X(clock.Seconds(operation.InvokeTime)), Y(ms), 1.8, ChartFrame.Categories[ChartFrame.Category(operation)].Color, 0.6,
                title: string.Create(CultureInfo.InvariantCulture, $"{operation} {ms:F1} ms"));
        }

        frame.TimeAxis("seconds since traffic began (invocation time)");
        return canvas.ToString();
    }
}
