using Serilog;
using Serilog.Context;
using Serilog.Events;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// One Serilog event per request (method, path, status, time) carrying a correlation id: the client's
/// <c>X-Correlation-Id</c> when it sent a sane one, else the request's trace identifier. The id is echoed in the
/// response and attached to every event logged while the request runs. Successful fast requests log at Debug, so
/// the default Information level stays quiet under load; server faults, unavailability and slow requests always show.
/// </summary>
internal static class RequestLogging
{
    public const string CorrelationIdHeader = "X-Correlation-Id";

    private const int MaxCorrelationIdLength = 128;
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(1);

    public static void UseGlobalZoneRequestLogging(this WebApplication app)
    {
        app.Use(static async (context, next) =>
        {
            var id = context.Request.Headers[CorrelationIdHeader].ToString();
            if (id.Length is 0 or > MaxCorrelationIdLength || id.Any(char.IsControl))
                id = context.TraceIdentifier;
            context.Response.Headers[CorrelationIdHeader] = id;
            using (LogContext.PushProperty("CorrelationId", id))
                await next(context);
        });
        app.UseSerilogRequestLogging(options =>
        {
            options.MessageTemplate = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.000} ms";
            // 404/412/503 are answers, not faults: only our own failures are errors.
            options.GetLevel = static (context, elapsedMs, error) =>
                error is not null || context.Response.StatusCode == StatusCodes.Status500InternalServerError ? LogEventLevel.Error
                : elapsedMs >= Slow.TotalMilliseconds || context.Response.StatusCode >= 500 ? LogEventLevel.Information
                : LogEventLevel.Debug;
            options.EnrichDiagnosticContext = static (diagnostics, context) =>
            {
                diagnostics.Set("CorrelationId", context.Response.Headers[CorrelationIdHeader].ToString());
                diagnostics.Set("RemoteAddress", context.Connection.RemoteIpAddress?.ToString());
            };
        });
    }
}
