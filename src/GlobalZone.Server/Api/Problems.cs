using System.Text.Json;
using GlobalZone.Contracts;

namespace GlobalZone.Server.Api;

/// <summary>Writes RFC 9457 problem responses, the one error shape of the API.</summary>
internal static class Problems
{
    public const string ContentType = "application/problem+json";

    // Details quote keys and names: keep ' and non-ASCII readable (the body is JSON, never embedded in HTML).
    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo<ProblemDetailsBody> ReadableProblem =
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<ProblemDetailsBody>)new JsonSerializerOptions(ContractsJsonContext.Default.Options)
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            TypeInfoResolver = ContractsJsonContext.Default,
        }.GetTypeInfo(typeof(ProblemDetailsBody));

    public static Task WriteAsync(HttpContext context, int status, string type, string title, string? detail, string? leader = null, long? currentRevision = null,
        long? oldestRevision = null, LockInfo? lockInfo = null)
    {
        var response = context.Response;
        if (response.HasStarted)
            return Task.CompletedTask;
        response.StatusCode = status;
        response.ContentType = ContentType;
        var body = new ProblemDetailsBody
        {
            Type = type, Title = title, Status = status, Detail = detail, Leader = leader, CurrentRevision = currentRevision,
            OldestRevision = oldestRevision, Lock = lockInfo,
        };
        return JsonSerializer.SerializeAsync(response.Body, body, ReadableProblem, context.RequestAborted);
    }

    public static Task BadRequest(HttpContext context, string type, string detail)
        => WriteAsync(context, StatusCodes.Status400BadRequest, type, "The request is not valid.", detail);
}
