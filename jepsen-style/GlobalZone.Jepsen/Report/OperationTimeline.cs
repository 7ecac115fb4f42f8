using System.Globalization;
using GlobalZone.Jepsen.Checker;

namespace GlobalZone.Jepsen.Report;

/// <summary>
/// The operations behind a failed check, as bars from invocation to completion, one lane per client process: the
/// offending ones in red, the context that explains them in grey. Indeterminate operations run on to the right edge,
/// dashed (they may take effect at any time after they began).
/// </summary>
internal static class OperationTimeline
{
    private const double LaneHeight = 40;

    public static string Render(IReadOnlyList<Operation> offending, IReadOnlyList<Operation> context, RunClock clock, string title)
    {
        var all = offending.Concat(context).DistinctBy(o => (o.Process, o.InvokeIndex)).OrderBy(o => o.InvokeTime).ToList();
        var processes = all.Select(o => o.Process).Distinct().Order().ToList();
        var canvas = new SvgCanvas(1000, 70 + Math.Max(1, processes.Count) * LaneHeight + 40);
        if (all.Count == 0)
        {
            canvas.Text(20, 30, "No operations to show.", 12);
            return canvas.ToString();
        }

        var start = all.Min(o => clock.Seconds(o.InvokeTime));
        var lastEnd = all.Max(o => clock.Seconds(o.CompleteTime ?? o.InvokeTime));
        var end = lastEnd + Math.Max(0.002, (lastEnd - start) * 0.1);
        var frame = new ChartFrame(canvas, start, end, left: 60, top: 44);
        frame.Title(title);
        frame.Legend(("offending", "#c62828"), ("context", "#78909c"));
        var offendingSet = new HashSet<(int, int)>(offending.Select(o => (o.Process, o.InvokeIndex)));
        for (var lane = 0; lane < processes.Count; lane++)
        {
            var y = frame.Top + lane * LaneHeight;
            canvas.Text(frame.Left - 8, y + 23, "p" + processes[lane].ToString(CultureInfo.InvariantCulture), 10, "end", "#546e7a");
            canvas.Line(frame.Left, y + LaneHeight, frame.Right, y + LaneHeight, "#eceff1");
        }

        // Labels go above the bar, or below it when the previous label in the lane would overlap.
        var labelEnds = new Dictionary<int, double>();
        foreach (var operation in all)
        {
            var lane = processes.IndexOf(operation.Process);
            var y = frame.Top + lane * LaneHeight;
            var x1 = frame.X(clock.Seconds(operation.InvokeTime));
            var indeterminate = operation.IsIndeterminate;
            var x2 = indeterminate ? frame.Right : frame.X(clock.Seconds(operation.CompleteTime!.Value));
            var bad = offendingSet.Contains((operation.Process, operation.InvokeIndex));
            canvas.Rect(x1, y + 14, Math.Max(2, x2 - x1), 11, bad ? "#ffcdd2" : "#eceff1", stroke: bad ? "#c62828" : "#78909c", title: operation.ToString(), dashed: indeterminate);
            var label = ShortLabel(operation);
            var above = x1 >= labelEnds.GetValueOrDefault(lane * 2, double.MinValue);
            var row = above ? lane * 2 : lane * 2 + 1;
            canvas.Text(x1 + 1, above ? y + 11 : y + 36, label, 9.5, fill: bad ? "#b71c1c" : "#37474f", bold: bad);
            labelEnds[row] = x1 + 4 + label.Length * 5.8;
        }

        frame.TimeAxis("seconds since traffic began");
        return canvas.ToString();
    }

    /// <summary>E.g. <c>w 3</c>, <c>r→2</c>, <c>cas 1→3 fail</c>, <c>w 4 ?</c> (unknown).</summary>
    internal static string ShortLabel(Operation operation)
    {
        var what = operation.Kind switch
        {
            OperationKind.Read when operation.Output?.StartsWith('{') == true => "watch " + Field(operation.Output, "revision"),
            OperationKind.Read => operation.Status == OperationStatus.Ok ? "r→" + (operation.Output ?? "nil") : "r",
            // A lock workload's critical section: its token, what it read and wrote, and whether it stalled.
            OperationKind.Write when operation.Input is null && operation.Output?.StartsWith('{') == true =>
                $"t{Field(operation.Output, "token")} {Field(operation.Output, "read")}→{Field(operation.Output, "wrote")}"
                + (Field(operation.Output, "pausedMs") is not ("0" or "") ? " stalled" : ""),
            OperationKind.Write => "w " + operation.Input,
            OperationKind.CompareAndSet => $"cas {operation.Expected ?? "nil"}→{operation.Input}",
            _ => "append " + operation.Input,
        };
        if (what.Length > 40)
            what = what[..37] + "...";
        return operation.Status switch
        {
            OperationStatus.Ok => what,
            OperationStatus.Fail => what + " fail",
            _ => what + " ?",
        };
    }

    // One top-level member of a JSON object, as text ("" when absent or unreadable).
    private static string Field(string json, string name)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty(name, out var value) ? value.ToString() : "";
        }
        catch (System.Text.Json.JsonException)
        {
            return "";
        }
    }
}
