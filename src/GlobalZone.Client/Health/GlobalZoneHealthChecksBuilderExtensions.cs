using GlobalZone.Client;
using GlobalZone.Client.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the GlobalZone health check: <c>services.AddHealthChecks().AddGlobalZone()</c>.</summary>
public static class GlobalZoneHealthChecksBuilderExtensions
{
    /// <summary>
    /// Checks the cluster of the registered <see cref="GlobalZoneClient"/> (see <c>AddGlobalZoneClient</c>): Healthy
    /// when a leader is known and every member answers, Degraded when some members do not answer,
    /// <paramref name="failureStatus"/> (default Unhealthy) when no member answers or none knows a leader.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name in reports.</param>
    /// <param name="failureStatus">What to report when the cluster cannot be used; null: Unhealthy.</param>
    /// <param name="tags">Tags to filter checks by (for example "ready").</param>
    /// <param name="probeTimeout">How long one member may take to answer; null: the client's RequestTimeout.</param>
    public static IHealthChecksBuilder AddGlobalZone(this IHealthChecksBuilder builder, string name = "globalzone", HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null, TimeSpan? probeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            name, provider => new GlobalZoneHealthCheck(provider.GetRequiredService<GlobalZoneClient>(), probeTimeout), failureStatus, tags));
    }
}
