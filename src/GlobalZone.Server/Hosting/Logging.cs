using GlobalZone.Consensus;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// Serilog for the whole node: every event carries the member id and site; readable console lines by default,
/// compact JSON with <c>GlobalZone:LogFormat=json</c>.
/// </summary>
internal static class Logging
{
    private const string ConsoleTemplate = "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {MemberId}@{Site} {SourceContext}: {Message:lj}{NewLine}{Exception}";

    public static Serilog.ILogger Create(IConfiguration configuration, MemberOptions self)
    {
        var json = string.Equals(configuration["GlobalZone:LogFormat"], "json", StringComparison.OrdinalIgnoreCase);
        var consoleConfiguration = new LoggerConfiguration().MinimumLevel.Verbose();
        consoleConfiguration = json
            ? consoleConfiguration.WriteTo.Console(new CompactJsonFormatter())
            : consoleConfiguration.WriteTo.Console(outputTemplate: ConsoleTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        var console = consoleConfiguration.CreateLogger();

        var level = Enum.TryParse<LogEventLevel>(configuration["GlobalZone:LogLevel"], ignoreCase: true, out var parsed) ? parsed : LogEventLevel.Information;
        return new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Extensions.Http", LogEventLevel.Warning)
            .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
            // A snapshot install that is not done yet fails its InstallSnapshot call on purpose (see RaftStateMachine);
            // DotNext's own exception handler on the Raft route would log each retry as an error with a stack trace.
            .Filter.ByExcluding(e => e.Exception is Consensus.Snapshots.SnapshotPendingException)
            .Enrich.FromLogContext()
            .Enrich.WithProperty("MemberId", self.Id)
            .Enrich.WithProperty("Site", self.Site)
            .Enrich.WithProperty("Role", self.Role)
            .WriteTo.Sink(new QuietPeerFailuresSink(console))
            .CreateLogger();
    }
}
