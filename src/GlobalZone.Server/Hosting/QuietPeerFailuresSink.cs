using Serilog.Core;
using Serilog.Events;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// DotNext logs every failed call to an unreachable peer as a warning with a full stack trace, several times a
/// second while a member is down. That buries everything else, so for DotNext's warnings this sink keeps the
/// event and the exception's type and message, and drops the stack trace. Errors keep theirs.
/// </summary>
internal sealed class QuietPeerFailuresSink(ILogEventSink inner) : ILogEventSink
{
    public void Emit(LogEvent logEvent)
    {
        if (logEvent is { Exception: { } error, Level: LogEventLevel.Warning or LogEventLevel.Information }
            && logEvent.Properties.TryGetValue("SourceContext", out var source)
            && source is ScalarValue { Value: string context }
            && context.StartsWith("DotNext", StringComparison.Ordinal))
        {
            var properties = logEvent.Properties.Select(p => new LogEventProperty(p.Key, p.Value)).ToList();
            properties.Add(new LogEventProperty("PeerError", new ScalarValue($"{error.GetType().Name}: {error.GetBaseException().Message}")));
            var template = new Serilog.Parsing.MessageTemplateParser().Parse(logEvent.MessageTemplate.Text + " ({PeerError})");
            inner.Emit(new LogEvent(logEvent.Timestamp, logEvent.Level, null, template, properties));
            return;
        }

        inner.Emit(logEvent);
    }
}
