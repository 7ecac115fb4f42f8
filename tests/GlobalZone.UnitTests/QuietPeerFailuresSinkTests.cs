using GlobalZone.Server.Hosting;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace GlobalZone.UnitTests;

/// <summary>DotNext's repeated warnings are thinned and lose their stack traces; nothing else is touched.</summary>
public sealed class QuietPeerFailuresSinkTests
{
    private sealed class Capture : ILogEventSink
    {
        public List<LogEvent> Events { get; } = [];

        public void Emit(LogEvent logEvent)
        {
            lock (Events)
                Events.Add(logEvent);
        }
    }

    private static LogEvent Event(LogEventLevel level, string source, string text, Exception? error = null)
        => new(DateTimeOffset.UtcNow, level, error, new MessageTemplateParser().Parse(text),
            [new LogEventProperty("SourceContext", new ScalarValue(source))]);

    [Fact]
    public void RepeatedDotNextWarningsPassOncePerWindowWithACountOfTheRestAndOthersPassUntouched()
    {
        var capture = new Capture();
        var sink = new QuietPeerFailuresSink(capture, TimeSpan.FromMilliseconds(200));
        const string raft = "DotNext.Net.Cluster.Consensus.Raft.Http.RaftHttpCluster";
        for (var i = 0; i < 5; i++)
            sink.Emit(Event(LogEventLevel.Warning, raft, "Cluster member http://a:1/ is unavailable", new HttpRequestException("Connection refused")));
        sink.Emit(Event(LogEventLevel.Warning, raft, "Cluster member http://b:1/ is unavailable"));
        // Failed calls logged as information (hundreds a second while a leader is gone) are thinned too...
        for (var i = 0; i < 50; i++)
            sink.Emit(Event(LogEventLevel.Information, raft, "Failed to route message gz.read-index to leader node", new HttpRequestException("Connection refused")));
        // ...but information without an exception passes every time.
        for (var i = 0; i < 2; i++)
            sink.Emit(Event(LogEventLevel.Information, raft, "Transition to Candidate state has started"));
        for (var i = 0; i < 3; i++)
            sink.Emit(Event(LogEventLevel.Warning, "GlobalZone.Consensus.LeaseKeeper", "our own warning"));
        sink.Emit(Event(LogEventLevel.Error, raft, "a DotNext error", new InvalidOperationException("boom")));

        var rendered = capture.Events.Select(e => e.RenderMessage()).ToList();
        Assert.Single(rendered, r => r.Contains("http://a:1/", StringComparison.Ordinal));
        Assert.Single(rendered, r => r.Contains("http://b:1/", StringComparison.Ordinal));
        Assert.Equal(3, rendered.Count(r => r == "our own warning"));
        Assert.Single(rendered, r => r.StartsWith("Failed to route message", StringComparison.Ordinal));
        Assert.Equal(2, rendered.Count(r => r.StartsWith("Transition to Candidate", StringComparison.Ordinal)));
        var first = capture.Events.Single(e => e.RenderMessage().Contains("http://a:1/", StringComparison.Ordinal));
        Assert.Null(first.Exception); // the stack trace is dropped...
        Assert.Contains("HttpRequestException: Connection refused", first.RenderMessage()); // ...its type and message kept
        Assert.NotNull(capture.Events.Single(e => e.Level == LogEventLevel.Error).Exception);

        // Once the window has passed, the same warning passes again and says how many were held back.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (capture.Events.Count(e => e.RenderMessage().Contains("http://a:1/", StringComparison.Ordinal)) < 2 && DateTime.UtcNow < deadline)
        {
            sink.Emit(Event(LogEventLevel.Warning, raft, "Cluster member http://a:1/ is unavailable", new HttpRequestException("Connection refused")));
            Thread.Yield();
        }

        var second = capture.Events.Where(e => e.RenderMessage().Contains("http://a:1/", StringComparison.Ordinal)).ElementAt(1);
        Assert.Matches(@"\(\d+ more like this since the last one\)", second.RenderMessage());
    }
}
