namespace GlobalZone.Server.Api;

/// <summary>
/// <c>GET /v1/openapi.json</c>: the API's OpenAPI 3.1 description, written by hand (the handlers write JSON directly,
/// so nothing could be generated from them) and shipped inside the server. A test checks every route is in it.
/// </summary>
internal static class OpenApiEndpoints
{
    private const string ResourceName = "GlobalZone.Server.Api.openapi.json";

    public static void MapOpenApiDocument(this IEndpointRouteBuilder app)
    {
        var document = Load();
        // Public: the API's description, the same for every cluster, no data.
        app.MapGet("/v1/openapi.json", (HttpContext context) =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.Body.WriteAsync(document, context.RequestAborted).AsTask();
        }).AllowAnonymous();
    }

    private static byte[] Load()
    {
        using var stream = typeof(OpenApiEndpoints).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The OpenAPI document ({ResourceName}) is not embedded in the server.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
