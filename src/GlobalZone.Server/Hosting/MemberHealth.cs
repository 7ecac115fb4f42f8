using GlobalZone.Consensus;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// <c>/healthz</c> (the process serves) and <c>/readyz</c> (this member can serve clients: it knows a leader, its applier
/// has not failed, it is not shutting down) as ASP.NET Core health checks, so an orchestrator's probes, and anything
/// else built on health checks, see the same answer. Both are public, as probes are everywhere.
/// </summary>
internal static class MemberHealth
{
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";
    private const string ReadyTag = "ready";

    public static IServiceCollection AddMemberHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<MemberReadinessCheck>("member", tags: [ReadyTag]);
        return services;
    }

    public static void MapMemberHealth(this IEndpointRouteBuilder app)
    {
        // Liveness runs no check: a process that answers is alive (a member without a leader must not be restarted for it).
        // GET only, like every documented route (a health check endpoint otherwise answers any method).
        app.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteLivenessAsync })
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get]));
        app.MapHealthChecks(ReadinessPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag), ResponseWriter = WriteReadinessAsync })
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get]));
    }

    private static Task WriteLivenessAsync(HttpContext context, HealthReport report)
        => Api.KeyValueEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("status"u8, "alive"u8);
            w.WriteEndObject();
        });

    // The body readiness probes and operators read: status (ready, no-leader, apply-fault, stopping), the fault if any,
    // the leader if known, the applied index. The status code is the health check's (503 when unhealthy).
    private static Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        var data = report.Entries.Values.FirstOrDefault().Data ?? new Dictionary<string, object>();
        return Api.KeyValueEndpoints.WriteJsonAsync(context, context.Response.StatusCode, w =>
        {
            w.WriteStartObject();
            foreach (var name in MemberReadinessCheck.Fields)
            {
                switch (data.GetValueOrDefault(name))
                {
                    case string text:
                        w.WriteString(name, text);
                        break;
                    case long number:
                        w.WriteNumber(name, number);
                        break;
                }
            }

            w.WriteEndObject();
        });
    }
}

/// <summary>Whether this member can serve clients now; the reasons go into the check's data (see <see cref="Fields"/>).</summary>
internal sealed class MemberReadinessCheck(GlobalZoneCluster cluster, IServiceProvider services) : IHealthCheck
{
    /// <summary>The data a readiness answer carries, in the order it is written.</summary>
    public static readonly string[] Fields = ["status", "faultIndex", "fault", "leader", "appliedIndex"];

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var leader = cluster.Leader;
        var fault = services.GetService<ApplyHealth>()?.Fault;
        var stopping = services.GetService<MemberDrain>()?.IsDraining == true;
        var ready = leader is not null && fault is null && !stopping;
        var status = fault is not null ? "apply-fault" : stopping ? "stopping" : ready ? "ready" : "no-leader";
        var data = new Dictionary<string, object> { ["status"] = status, ["appliedIndex"] = cluster.State.AppliedIndex };
        if (fault is not null)
        {
            data["faultIndex"] = fault.Index;
            data["fault"] = fault.Reason;
        }

        if (leader is not null)
            data["leader"] = leader.Id;
        return Task.FromResult(ready ? HealthCheckResult.Healthy(status, data) : HealthCheckResult.Unhealthy(status, data: data));
    }
}
