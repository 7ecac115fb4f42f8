using GlobalZone.Storage.Integrity;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// A member that must not start (damaged or foreign data in its folder) says so in one log line naming the file and
/// the remedy, and exits with <see cref="ExitCode"/>; a supervisor restarting it gets the same line each time.
/// </summary>
public sealed partial class StartupRefusal(string reason, Exception inner) : Exception(reason, inner)
{
    /// <summary>Exit code of a refused start (distinct from a crash's, so scripts and tests can tell them apart).</summary>
    public const int ExitCode = 3;

    /// <summary>Logs the refusal and returns the exception that ends the start.</summary>
    public static StartupRefusal Of(StorageIntegrityException damage, ILogger logger)
    {
        LogRefused(logger, damage.Message);
        return new StartupRefusal(damage.Message, damage);
    }

    [LoggerMessage(EventId = 2301, Level = LogLevel.Critical, Message = "Refusing to start: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);
}
