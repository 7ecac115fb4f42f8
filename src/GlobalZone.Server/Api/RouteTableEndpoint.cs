using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing.Patterns;

namespace GlobalZone.Server.Api;

/// <summary>
/// TEST-ONLY: <c>GET /internal/v1/testing/routes</c> lists every endpoint this member serves (from the routing's own
/// <see cref="EndpointDataSource"/>, so nothing can be left out by hand) with its methods and authorization metadata.
/// The auth tests walk it to prove that every client route refuses callers without the right role, including routes
/// added later. Mapped only with <c>GlobalZone:Testing:ListRoutes=true</c>.
/// </summary>
internal static partial class RouteTableEndpoint
{
    public const string Route = "/internal/v1/testing/routes";

    public static void MapRouteTable(this WebApplication app)
    {
        if (!app.Configuration.GetValue<bool>("GlobalZone:Testing:ListRoutes"))
            return;
        LogListing(app.Logger);
        app.MapGet(Route, (HttpContext context) =>
        {
            var sources = context.RequestServices.GetRequiredService<EndpointDataSource>();
            return KeyValueEndpoints.WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
            {
                writer.WriteStartArray();
                foreach (var endpoint in sources.Endpoints.OfType<RouteEndpoint>())
                {
                    writer.WriteStartObject();
                    writer.WriteString("pattern"u8, "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(Segment)));
                    writer.WriteStartArray("methods"u8);
                    foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
                        writer.WriteStringValue(method);
                    writer.WriteEndArray();
                    writer.WriteBoolean("anonymous"u8, endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null);
                    writer.WriteStartArray("policies"u8);
                    foreach (var data in endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>())
                        writer.WriteStringValue(data.Policy ?? "(default)");
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            });
        });
    }

    private static string Segment(RoutePatternPathSegment segment) => string.Concat(segment.Parts.Select(part => part switch
    {
        RoutePatternLiteralPart literal => literal.Content,
        RoutePatternParameterPart { IsCatchAll: true } parameter => "{**" + parameter.Name + "}",
        RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
        RoutePatternSeparatorPart separator => separator.Content,
        _ => "?",
    }));

    [LoggerMessage(EventId = 2303, Level = LogLevel.Warning, Message = "TEST-ONLY: the route table is served at " + Route + " (GlobalZone:Testing:ListRoutes)")]
    private static partial void LogListing(ILogger logger);
}
