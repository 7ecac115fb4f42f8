using System.Text;

namespace GlobalZone.Client.Internal;

/// <summary>
/// The Server-Sent Events line format (HTML Living Standard, 9.2.6): feed it lines, get an event at each blank line.
/// Comments (<c>:</c>) and unknown fields are ignored; several <c>data</c> lines join with a newline.
/// </summary>
internal sealed class SseParser
{
    private readonly StringBuilder data = new();
    private string? name;
    private string? id;
    private bool hasData;

    /// <summary>Takes one line (without its line ending); returns the event it completes, if any.</summary>
    public SseEvent? Feed(string line)
    {
        if (line.Length == 0)
            return Dispatch();
        if (line[0] == ':')
            return null;
        var colon = line.IndexOf(':');
        var field = colon < 0 ? line : line[..colon];
        var value = colon < 0 ? "" : line[(colon + 1)..];
        if (value.StartsWith(' '))
            value = value[1..];
        switch (field)
        {
            case "event":
                name = value;
                break;
            case "data":
                if (hasData)
                    data.Append('\n');
                data.Append(value);
                hasData = true;
                break;
            case "id":
                if (!value.Contains('\0'))
                    id = value;
                break;
        }

        return null;
    }

    private SseEvent? Dispatch()
    {
        if (!hasData && name is null)
            return null;
        var dispatched = new SseEvent(name is { Length: > 0 } ? name : "message", id, data.ToString());
        data.Clear();
        hasData = false;
        name = null;
        id = null;
        return dispatched;
    }
}
