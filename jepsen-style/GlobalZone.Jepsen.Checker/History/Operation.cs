using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace GlobalZone.Jepsen.Checker;

/// <summary>
/// One client call in a history: its invocation and, unless indeterminate, its completion.
/// Times only need to be comparable within one history (a line number, a monotonic clock tick); indices are
/// the positions of the invoke/complete events in the recorded event stream and are used for reporting.
/// </summary>
public sealed record Operation
{
    /// <summary>The client (Jepsen process) that issued the call. A process has at most one call in flight.</summary>
    public required int Process { get; init; }

    /// <summary>What was called.</summary>
    public required OperationKind Kind { get; init; }

    /// <summary>The key the call addressed; histories are checked key by key.</summary>
    public string Key { get; init; } = "";

    /// <summary>The value written, appended, or (for compare-and-set) the new value. Null for reads.</summary>
    public string? Input { get; init; }

    /// <summary>For compare-and-set only: the value the register had to hold for the swap (null = absent).</summary>
    public string? Expected { get; init; }

    /// <summary>For an <see cref="OperationStatus.Ok"/> read: the value returned (null = absent).</summary>
    public string? Output { get; init; }

    /// <summary>How the call ended.</summary>
    public required OperationStatus Status { get; init; }

    /// <summary>When the call was invoked.</summary>
    public required long InvokeTime { get; init; }

    /// <summary>Position of the invoke event in the recorded event stream.</summary>
    public int InvokeIndex { get; init; }

    /// <summary>When the completion was observed; null when none was (then <see cref="Status"/> must be Info).</summary>
    public long? CompleteTime { get; init; }

    /// <summary>Position of the completion event in the recorded event stream, if there was one.</summary>
    public int? CompleteIndex { get; init; }

    /// <summary>Why a call failed or is indeterminate (e.g. "timed-out"), for reports only.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// Whether the call is indeterminate: it might take effect at any point after its invocation, so the
    /// checker treats its return time as +infinity.
    /// </summary>
    [JsonIgnore]
    public bool IsIndeterminate => Status == OperationStatus.Info;

    /// <summary>A one-line, human-readable form, e.g. <c>p3 cas(1→2) on "x" fail [#12..#15]</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append('p').Append(Process.ToString(CultureInfo.InvariantCulture)).Append(' ');
        switch (Kind)
        {
            case OperationKind.Read:
                text.Append("read");
                if (Status == OperationStatus.Ok)
                {
                    text.Append("→").Append(FormatValue(Output));
                }
                break;
            case OperationKind.Write:
                text.Append("write(").Append(FormatValue(Input)).Append(')');
                break;
            case OperationKind.CompareAndSet:
                text.Append("cas(").Append(FormatValue(Expected)).Append("→").Append(FormatValue(Input)).Append(')');
                break;
            case OperationKind.Append:
                text.Append("append(").Append(FormatValue(Input)).Append(')');
                break;
        }
        text.Append(" on \"").Append(Key).Append("\" ").Append(Status.ToString().ToLowerInvariant());
        if (Error is not null)
        {
            text.Append(" (").Append(Error).Append(')');
        }
        text.Append(" [#").Append(InvokeIndex.ToString(CultureInfo.InvariantCulture)).Append("..");
        text.Append(CompleteIndex is int completed ? "#" + completed.ToString(CultureInfo.InvariantCulture) : "?");
        text.Append(']');
        return text.ToString();
    }

    /// <summary>Renders a value the way reports show it: absent values as <c>nil</c>, strings quoted when needed.</summary>
    internal static string FormatValue(string? value) => value switch
    {
        null => "nil",
        "" => "\"\"",
        _ when value.Contains(' ', StringComparison.Ordinal) => "\"" + value + "\"",
        _ => value,
    };
}
