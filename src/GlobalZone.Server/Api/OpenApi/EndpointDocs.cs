using GlobalZone.Contracts;

namespace GlobalZone.Server.Api.OpenApi;

/// <summary>What one response of an operation means, in the document's words (the generator only knows "OK").</summary>
internal sealed record ResponseDoc(int Status, string Description);

/// <summary>
/// A parameter the handler reads from the request itself (the handlers take <see cref="HttpContext"/>, so the
/// generator cannot see their query strings and headers).
/// </summary>
internal sealed record ParameterDoc(string Name, string In, string? Description, bool Required, string Type);

/// <summary>
/// How an endpoint documents itself in <c>/v1/openapi.json</c>: tag and summary, request body, each response with its
/// meaning, and the parameters it reads by hand. Every route the server maps carries these next to its MapX call; the
/// route-table test fails for a route the document leaves out.
/// </summary>
internal static class EndpointDocs
{
    public const string Json = "application/json";

    /// <summary>
    /// The handler as a route handler rather than a <see cref="RequestDelegate"/>: ASP.NET Core describes only route
    /// handlers (they carry their MethodInfo) to the OpenAPI generator. It still takes the whole context.
    /// </summary>
    public static Delegate Handler(Func<HttpContext, Task> handler) => handler;

    public static RouteHandlerBuilder Doc(this RouteHandlerBuilder builder, string tag, string summary)
        => builder.WithTags(tag).WithSummary(summary);

    public static RouteHandlerBuilder Body<T>(this RouteHandlerBuilder builder, bool required = true, string contentType = Json)
        where T : notnull
        => builder.Accepts<T>(!required, contentType);

    /// <summary>A success answer with a JSON (or other) body of <typeparamref name="T"/>.</summary>
    public static RouteHandlerBuilder Answers<T>(this RouteHandlerBuilder builder, int status, string description, string contentType = Json)
        => builder.Produces<T>(status, contentType).WithMetadata(new ResponseDoc(status, description));

    /// <summary>
    /// A success answer without a body, or with a body of the given media type that has no schema of its own (a page,
    /// a byte stream; JSON a handler writes field by field is described in words, not given a made-up type).
    /// </summary>
    public static RouteHandlerBuilder Answers(this RouteHandlerBuilder builder, int status, string description, string? contentType = null)
        => (contentType is null or Json ? builder.Produces(status) : builder.Produces(status, typeof(string), contentType))
            .WithMetadata(new ResponseDoc(status, description));

    /// <summary>An RFC 9457 problem answer (<see cref="ProblemDetailsBody"/>, application/problem+json).</summary>
    public static RouteHandlerBuilder Fails(this RouteHandlerBuilder builder, int status, string description)
        => builder.Produces<ProblemDetailsBody>(status, Problems.ContentType).WithMetadata(new ResponseDoc(status, description));

    public static RouteHandlerBuilder Query(this RouteHandlerBuilder builder, string name, string? description, string type = "string", bool required = false)
        => builder.WithMetadata(new ParameterDoc(name, "query", description, required, type));

    public static RouteHandlerBuilder Header(this RouteHandlerBuilder builder, string name, string? description, string type = "string", bool required = false)
        => builder.WithMetadata(new ParameterDoc(name, "header", description, required, type));

    /// <summary>Describes a path parameter the generator already lists (from the route pattern).</summary>
    public static RouteHandlerBuilder Path(this RouteHandlerBuilder builder, string name, string? description, string type = "string")
        => builder.WithMetadata(new ParameterDoc(name, "path", description, true, type));

    /// <summary>The answers every client route may give: bad input, the witness, no leader.</summary>
    public static RouteHandlerBuilder ClientErrors(this RouteHandlerBuilder builder, string? unavailable = null)
        => builder.Fails(StatusCodes.Status400BadRequest, ApiText.BadInput)
            .Fails(StatusCodes.Status421MisdirectedRequest, ApiText.Witness)
            .Fails(StatusCodes.Status503ServiceUnavailable, unavailable ?? ApiText.NoLeader);

    /// <summary>A replicated write: idempotency key, body limit, outcome unknown.</summary>
    public static RouteHandlerBuilder WriteErrors(this RouteHandlerBuilder builder)
        => builder.Header(HeaderNames.IdempotencyKey, ApiText.IdempotencyKey)
            .Fails(StatusCodes.Status413PayloadTooLarge, ApiText.TooLarge)
            .Fails(StatusCodes.Status422UnprocessableEntity, ApiText.IdempotencyReused)
            .Fails(StatusCodes.Status504GatewayTimeout, ApiText.OutcomeUnknown);

    /// <summary>Writes guarded by a lock grant (<c>If-Fencing-Token</c>).</summary>
    public static RouteHandlerBuilder Fenced(this RouteHandlerBuilder builder)
        => builder.Header(HeaderNames.FencingToken, ApiText.IfFencingToken)
            .Fails(StatusCodes.Status409Conflict, ApiText.FencingRejected);
}
