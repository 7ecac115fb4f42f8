using System.Diagnostics;
using System.Globalization;

namespace GlobalZone.Jepsen;

/// <summary>
/// The harness's progress log: one line per event, stamped with seconds since the log began, to the console (or a
/// test's output) and to <c>harness.log</c> in the results folder once that exists. Thread-safe.
/// </summary>
internal sealed class RunLog : IDisposable
{
    private readonly Action<string> sink;
    private readonly long started = Stopwatch.GetTimestamp();
    private readonly Lock gate = new();
    private readonly List<string> lines = [];
    private StreamWriter? file;

    public RunLog(Action<string> sink) => this.sink = sink;

    /// <summary>A log that writes to standard output.</summary>
    public static RunLog Console() => new(System.Console.WriteLine);

    public void Info(string message)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"[{Stopwatch.GetElapsedTime(started).TotalSeconds,7:F2}s] {message}");
        lock (gate)
        {
            lines.Add(line);
            file?.WriteLine(line);
            file?.Flush();
            sink(line);
        }
    }

    /// <summary>Also writes every line so far, and every later one, to <paramref name="path"/>.</summary>
    public void MirrorTo(string path)
    {
        lock (gate)
        {
            file?.Dispose();
            file = new StreamWriter(path, append: false);
            foreach (var line in lines)
                file.WriteLine(line);
            file.Flush();
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            file?.Dispose();
            file = null;
        }
    }
}
