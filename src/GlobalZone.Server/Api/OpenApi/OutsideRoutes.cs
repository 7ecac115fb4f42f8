using GlobalZone.Server.Hosting;
using Microsoft.OpenApi;

namespace GlobalZone.Server.Api.OpenApi;

/// <summary>
/// Routes the member serves that the OpenAPI generator cannot see (ASP.NET Core health checks and OpenTelemetry's
/// Prometheus scrape map plain request delegates): described here, so the document covers the whole route table.
/// </summary>
internal static class OutsideRoutes
{
    public static void AddTo(OpenApiDocument document)
    {
        document.Paths ??= [];
        // MapOpenApi keeps its own route out of the document it serves.
        Add(document, ApiDocument.Route, "Cluster", "This document: OpenAPI 3.1, generated from the member's endpoints.", ("200", "the document", "application/json"));
        Add(document, MemberHealth.LivenessPath, "Health", "Alive.", ("200", "alive", null));
        Add(document, MemberHealth.ReadinessPath, "Health", "In a group with a leader.", ("200", "ready", null), ("503", "no leader", null));
        Add(document, Metrics.ScrapePath, "Health",
            "Prometheus metrics (OpenTelemetry's scraping endpoint): request rates and latencies, Raft indexes and terms, apply lag, log and store "
            + "sizes, caps in use. Served to anyone who reaches the port; firewall it like the peer port.",
            ("200", "Prometheus text exposition format", "text/plain"));
    }

    private static void Add(OpenApiDocument document, string path, string tag, string summary, params (string Status, string Description, string? ContentType)[] responses)
    {
        if (document.Paths.ContainsKey(path))
            return;
        document.Tags ??= new HashSet<OpenApiTag>();
        if (!document.Tags.Any(t => t.Name == tag))
            document.Tags.Add(new OpenApiTag { Name = tag });
        var operation = new OpenApiOperation
        {
            Summary = summary,
            Tags = new HashSet<OpenApiTagReference> { new(tag, document) },
            Security = [],
            Responses = [],
        };
        foreach (var (status, description, contentType) in responses)
        {
            operation.Responses[status] = new OpenApiResponse
            {
                Description = description,
                Content = contentType is null ? null : new Dictionary<string, OpenApiMediaType> { [contentType] = new() { Schema = ApiDocument.Schema("string") } },
            };
        }

        document.Paths[path] = new OpenApiPathItem { Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Get] = operation } };
    }
}
