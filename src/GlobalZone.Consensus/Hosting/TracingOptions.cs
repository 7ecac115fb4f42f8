namespace GlobalZone.Consensus;

/// <summary>
/// Where the member sends its traces (<c>GlobalZone:Tracing</c>). Tracing is on when <see cref="OtlpEndpoint"/> is
/// set or the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>) environment
/// variable is; otherwise no span is recorded at all.
/// </summary>
public sealed record TracingOptions
{
    /// <summary>The OTLP collector, e.g. <c>http://otel-collector:4317</c> (gRPC) or <c>http://otel-collector:4318</c> (HTTP, /v1/traces is added).</summary>
    public string? OtlpEndpoint { get; init; }

    /// <summary><c>grpc</c> (the default) or <c>http/protobuf</c>.</summary>
    public string OtlpProtocol { get; init; } = "grpc";

    /// <summary>Share of new traces kept (0..1); a request that arrives with a sampled parent is always kept.</summary>
    public double SampleRatio { get; init; } = 1.0;

    /// <summary>How long finished spans wait to be sent in one batch.</summary>
    public int ExportDelayMs { get; init; } = 5000;

    public void Validate()
    {
        if (SampleRatio is < 0 or > 1)
            throw new ArgumentException($"GlobalZone:Tracing:SampleRatio must be within 0..1 (it is {SampleRatio}).");
        if (ExportDelayMs < 1)
            throw new ArgumentException($"GlobalZone:Tracing:ExportDelayMs must be positive (it is {ExportDelayMs}).");
        if (OtlpProtocol is not ("grpc" or "http/protobuf"))
            throw new ArgumentException($"GlobalZone:Tracing:OtlpProtocol must be grpc or http/protobuf (it is '{OtlpProtocol}').");
        if (OtlpEndpoint is not null && !Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out _))
            throw new ArgumentException($"GlobalZone:Tracing:OtlpEndpoint is not an absolute URL: '{OtlpEndpoint}'.");
    }
}
