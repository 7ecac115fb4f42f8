using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace GlobalZone.Storage;

/// <summary>
/// How long each step of opening a member's data took (checkpoint verification, FASTER recovery, index rebuild, Raft log
/// replay…), logged as one line at start so an operator — and the scale benchmark — can see where a restart's time goes.
/// </summary>
public sealed class StartupPhases
{
    private readonly Lock gate = new();
    private readonly List<(string Name, TimeSpan Took, string? Detail)> phases = [];
    private readonly long started = Stopwatch.GetTimestamp();

    /// <summary>Runs <paramref name="step"/> and records how long it took.</summary>
    public T Measure<T>(string name, Func<T> step, Func<T, string?>? detail = null)
    {
        var start = Stopwatch.GetTimestamp();
        var result = step();
        Add(name, Stopwatch.GetElapsedTime(start), detail?.Invoke(result));
        return result;
    }

    /// <summary>Runs <paramref name="step"/> and records how long it took.</summary>
    public void Measure(string name, Action step, string? detail = null)
    {
        var start = Stopwatch.GetTimestamp();
        step();
        Add(name, Stopwatch.GetElapsedTime(start), detail);
    }

    public void Add(string name, TimeSpan took, string? detail = null)
    {
        lock (gate)
            phases.Add((name, took, detail));
    }

    /// <summary>Time since this object was made.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(started);

    public IReadOnlyList<(string Name, TimeSpan Took, string? Detail)> Phases
    {
        get
        {
            lock (gate)
                return [.. phases];
        }
    }

    /// <summary>"verify checkpoint 1.2 s (1.1 GB), recover 0.4 s, …".</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var (name, took, detail) in Phases)
        {
            if (text.Length > 0)
                text.Append(", ");
            text.Append(CultureInfo.InvariantCulture, $"{name} {took.TotalSeconds:F2} s");
            if (detail is not null)
                text.Append(" (").Append(detail).Append(')');
        }

        return text.ToString();
    }
}
