using System.Text.Json;
using GlobalZone.Contracts;

namespace GlobalZone.Server.Api;

/// <summary>Writes RFC 9457 problem responses, the one error shape of the API.</summary>
internal static class Problems
{
    public const string ContentType = "application/problem+json";

    public static Task WriteAsync(HttpContext context, int status, string type, string title, string? detail, string? leader = null, long? currentRevision = null)
    {
        var response = context.Response;
        if (response.HasStarted)
            return Task.CompletedTask;
        response.StatusCode = status;
        response.ContentType = ContentType;
        var body = new ProblemDetailsBody { Type = type, Title = title, Status = status, Detail = detail, Leader = leader, CurrentRevision = currentRevision };
        return JsonSerializer.SerializeAsync(response.Body, body, ContractsJsonContext.Default.ProblemDetailsBody, context.RequestAborted);
    }

    public static Task BadRequest(HttpContext context, string type, string detail)
        => WriteAsync(context, StatusCodes.Status400BadRequest, type, "The request is not valid.", detail);
}
