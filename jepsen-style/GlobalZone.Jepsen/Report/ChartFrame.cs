using System.Globalization;
using GlobalZone.Jepsen.Checker;
using GlobalZone.Jepsen.Failpoint;

namespace GlobalZone.Jepsen.Report;

/// <summary>
/// The common frame of the time charts: a plot area with time (seconds since traffic began) across, fault windows
/// shaded behind the data with their names on top, and axis labels.
/// </summary>
internal sealed class ChartFrame
{
    public const string OkColor = "#2e7d32";
    public const string FailColor = "#ef6c00";
    public const string InfoColor = "#6a1b9a";
    private const string FaultColor = "#e53935";

    public ChartFrame(SvgCanvas canvas, double startSeconds, double endSeconds, double left = 70, double right = 20, double top = 34, double bottom = 42)
    {
        Canvas = canvas;
        Start = startSeconds;
        End = Math.Max(endSeconds, startSeconds + 0.001);
        Left = left;
        Right = canvas.Width - right;
        Top = top;
        Bottom = canvas.Height - bottom;
    }

    public SvgCanvas Canvas { get; }

    public double Start { get; }

    public double End { get; }

    public double Left { get; }

    public double Right { get; }

    public double Top { get; }

    public double Bottom { get; }

    public double X(double seconds) => Left + (Math.Clamp(seconds, Start, End) - Start) / (End - Start) * (Right - Left);

    public const string MismatchColor = "#1e88e5";

    /// <summary>The legend of <see cref="Category"/>, in drawing order.</summary>
    public static readonly (string Label, string Color)[] Categories =
    [
        ("ok", OkColor), ("cas saw another value", MismatchColor), ("fail (nothing done)", FailColor), ("info (unknown)", InfoColor),
    ];

    /// <summary>
    /// How a call is drawn: ok, a compare-and-set that completed by seeing another value (a normal answer, not an
    /// error), a failure (nothing was done), or unknown. Indexes <see cref="Categories"/>.
    /// </summary>
    public static int Category(Operation operation) => operation.Status switch
    {
        OperationStatus.Ok => 0,
        OperationStatus.Fail when operation.Kind == OperationKind.CompareAndSet && !Validate.RegisterValidator.IsAbortedCompareAndSet(operation) => 1,
        OperationStatus.Fail => 2,
        _ => 3,
    };


    /// <summary>
    /// Shades each fault window and labels it at the top with its number (as in the report's fault table) and, room
    /// permitting, its nemesis; labels alternate between two rows so neighbours do not overwrite each other.
    /// </summary>
    public void FaultWindows(IReadOnlyList<FaultWindow> windows)
    {
        for (var i = 0; i < windows.Count; i++)
        {
            var window = windows[i];
            if (window.End < Start || window.Start > End)
                continue;
            var x = X(window.Start);
            var width = X(window.End) - x;
            Canvas.Rect(x, Top, width, Bottom - Top, FaultColor, 0.12, title: $"{i + 1}. {window.Nemesis}: {window.Description} ({window.Start:F1}–{window.End:F1} s)");
            // Room up to the next label on the same row (two windows on).
            var room = (i + 2 < windows.Count ? X(windows[i + 2].Start) : Right) - x - 4;
            var number = (i + 1).ToString(CultureInfo.InvariantCulture);
            var label = number + " " + window.Nemesis;
            var fits = (int)(room / 5.2);
            label = fits >= label.Length ? label : fits > number.Length + 3 ? label[..(fits - 1)] + "…" : number;
            Canvas.Text(x + 2, Top + (i % 2 == 0 ? 10 : 21), label, 9, fill: "#b71c1c");
        }
    }

    /// <summary>The time axis along the bottom, in seconds.</summary>
    public void TimeAxis(string label = "seconds since traffic began")
    {
        Canvas.Line(Left, Bottom, Right, Bottom, "#90a4ae");
        var step = NiceStep(End - Start, 10);
        for (var t = Math.Ceiling(Start / step) * step; t <= End + 1e-9; t += step)
        {
            var x = X(t);
            Canvas.Line(x, Bottom, x, Bottom + 4, "#90a4ae");
            Canvas.Text(x, Bottom + 16, t.ToString(step < 1 ? "0.0#" : "0", CultureInfo.InvariantCulture), 10, "middle");
        }

        Canvas.Text((Left + Right) / 2, Canvas.Height - 6, label, 11, "middle", "#546e7a");
    }

    public void Title(string title) => Canvas.Text(Left, 18, title, 14, bold: true);

    /// <summary>A legend of coloured dots, right-aligned at the top.</summary>
    public void Legend(params (string Label, string Color)[] entries)
    {
        var x = Right;
        foreach (var (label, color) in entries.Reverse())
        {
            x -= 8 + label.Length * 6.2;
            Canvas.Circle(x - 6, 14, 4, color);
            Canvas.Text(x, 18, label, 11);
            x -= 16;
        }
    }

    /// <summary>A round step (1, 2 or 5 times a power of ten) giving about <paramref name="ticks"/> ticks over <paramref name="range"/>.</summary>
    public static double NiceStep(double range, int ticks)
    {
        if (range <= 0)
            return 1;
        var raw = range / ticks;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var fraction = raw / magnitude;
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude;
    }
}
