using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// DotNext logs every failed call to an unreachable peer as a warning with a full stack trace, and some warnings
/// ("member ... is too far behind", "... is unavailable") many times a second while a member is down or catching
/// up. That buries everything else, so for DotNext's warnings this sink keeps the event and the exception's type
/// and message but drops the stack trace, and lets the same warning (or information event about a failed call) through
/// once per window (10 s), saying how many it held back. Errors, and everything not from DotNext, pass untouched.
/// </summary>
internal sealed class QuietPeerFailuresSink(ILogEventSink inner, TimeSpan? window = null) : ILogEventSink
{
    private readonly TimeSpan window = window ?? TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, Repeats> recent = new(StringComparer.Ordinal);

    public void Emit(LogEvent logEvent)
    {
        if (logEvent.Level is not (LogEventLevel.Warning or LogEventLevel.Information)
            || !logEvent.Properties.TryGetValue("SourceContext", out var source)
            || source is not ScalarValue { Value: string context }
            || !context.StartsWith("DotNext", StringComparison.Ordinal))
        {
            inner.Emit(logEvent);
            return;
        }

        var properties = logEvent.Properties.Select(p => new LogEventProperty(p.Key, p.Value)).ToList();
        var text = logEvent.MessageTemplate.Text;
        if (logEvent.Exception is { } error)
        {
            properties.Add(new LogEventProperty("PeerError", new ScalarValue($"{error.GetType().Name}: {error.GetBaseException().Message}")));
            text += " ({PeerError})";
        }

        // Failed peer calls also come as information events with the exception ("Failed to route message ... to
        // leader node", hundreds a second while a leader is gone): held back the same way.
        if (logEvent.Level == LogEventLevel.Warning || logEvent.Exception is not null)
        {
            var key = logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture);
            if (recent.Count > 1000)
                recent.Clear();
            var repeats = recent.GetOrAdd(key, _ => new Repeats());
            var now = Environment.TickCount64;
            int held;
            lock (repeats)
            {
                if (repeats.Emitted && now - repeats.LastEmittedMs < this.window.TotalMilliseconds)
                {
                    repeats.Held++;
                    return;
                }

                held = repeats.Held;
                repeats.Held = 0;
                repeats.LastEmittedMs = now;
                repeats.Emitted = true;
            }

            if (held > 0)
            {
                properties.Add(new LogEventProperty("Repeated", new ScalarValue(held)));
                text += " ({Repeated} more like this since the last one)";
            }
        }
        else if (logEvent.Exception is null)
        {
            inner.Emit(logEvent);
            return;
        }

        inner.Emit(new LogEvent(logEvent.Timestamp, logEvent.Level, null, new Serilog.Parsing.MessageTemplateParser().Parse(text), properties));
    }

    private sealed class Repeats
    {
        public long LastEmittedMs;
        public bool Emitted;
        public int Held;
    }
}
