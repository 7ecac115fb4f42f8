using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GlobalZone.IntegrationTests.Client;

/// <summary>
/// The client's log, into the test's output (information and above) and kept in memory, so that a test can check
/// that a path was really taken (for example that a watch did resume after its member died).
/// </summary>
internal sealed class TestLogging(ITestOutputHelper? output) : ILoggerProvider
{
    private readonly ITestOutputHelper? output = output;

    public ConcurrentQueue<(EventId Id, string Message)> Entries { get; } = new();

    public ILoggerFactory Factory() => LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Debug).AddProvider(this));

    public int Count(int eventId) => Entries.Count(e => e.Id.Id == eventId);

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(TestLogging owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            owner.Entries.Enqueue((eventId, message));
            if (logLevel < LogLevel.Information)
                return;
            try
            {
                owner.output?.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} client {logLevel}: {message}");
            }
            catch (InvalidOperationException)
            {
                // Background work (keep-alives, watches) may log after the test ended.
            }
        }
    }
}
