using GlobalZone.Consensus;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// OpenTelemetry traces over OTLP, when configured (<see cref="TracingOptions"/>): one server span per client
/// request (ASP.NET Core instrumentation), with the consensus layer's spans under it (<see cref="ConsensusTracing"/>:
/// proposals, forwarding to the leader, read-index rounds). Raft's own traffic (heartbeats, appends, votes: many a
/// second) and metric scrapes are not traced. Off unless an endpoint is set: then nothing listens to the sources and
/// no span is even created.
/// </summary>
internal static class Tracing
{
    public const string ServiceName = "globalzone-server";

    private static readonly PathString[] Untraced = [new("/cluster-consensus"), new("/metrics")];

    public static void AddGlobalZoneTracing(this WebApplicationBuilder builder, TracingOptions options, string memberId)
    {
        if (!IsEnabled(options))
            return;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName, serviceInstanceId: memberId))
            .WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.SampleRatio)))
                .AddAspNetCoreInstrumentation(aspNet => aspNet.Filter = context => !Untraced.Any(p => context.Request.Path.StartsWithSegments(p)))
                .AddSource(ConsensusTracing.SourceName)
                .AddOtlpExporter(otlp =>
                {
                    // Without GlobalZone:Tracing:OtlpEndpoint the exporter reads the standard OTEL_EXPORTER_OTLP_* variables.
                    if (options.OtlpEndpoint is { } endpoint)
                    {
                        otlp.Protocol = options.OtlpProtocol == "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                        otlp.Endpoint = otlp.Protocol == OtlpExportProtocol.HttpProtobuf
                            ? new Uri(endpoint.TrimEnd('/') + "/v1/traces")
                            : new Uri(endpoint);
                    }

                    otlp.BatchExportProcessorOptions.ScheduledDelayMilliseconds = options.ExportDelayMs;
                }));
    }

    private static bool IsEnabled(TracingOptions options)
        => options.OtlpEndpoint is not null
           || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"))
           || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
}
