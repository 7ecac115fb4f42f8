using System.Net;
using System.Text.Json;
using GlobalZone.Contracts;

namespace GlobalZone.Client.Internal;

/// <summary>Reads RFC 9457 problem answers and turns them into the client's exceptions.</summary>
internal static class ProblemReader
{
    /// <summary>The problem body, or null when the answer has none (or it is not a problem document).</summary>
    public static async Task<ProblemDetailsBody?> ReadAsync(HttpResponseMessage response, CancellationToken token)
    {
        var media = response.Content.Headers.ContentType?.MediaType;
        if (media is null || !(media.EndsWith("json", StringComparison.OrdinalIgnoreCase)))
            return null;
        try
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
            return bytes.Length == 0 ? null : JsonSerializer.Deserialize(bytes, ContractsJsonContext.Default.ProblemDetailsBody);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The exception for an answer the caller does not treat as a result.</summary>
    public static async Task<GlobalZoneException> ToExceptionAsync(HttpResponseMessage response, CancellationToken token)
    {
        var problem = await ReadAsync(response, token).ConfigureAwait(false);
        return ToException(response, problem);
    }

    public static GlobalZoneException ToException(HttpResponseMessage response, ProblemDetailsBody? problem)
    {
        if (problem?.Type == ProblemTypes.FencingTokenRejected)
            return new FencingTokenRejectedException(response.StatusCode, problem);
        if (response.StatusCode == HttpStatusCode.PreconditionFailed)
            return new PreconditionFailedException(problem, ETagRevision(response));
        return new GlobalZoneException(response.StatusCode, problem);
    }

    /// <summary>The revision in an <c>ETag: "N"</c> header, or null.</summary>
    public static long? ETagRevision(HttpResponseMessage response)
    {
        var tag = response.Headers.ETag?.Tag;
        return tag is not null && long.TryParse(tag.Trim('"'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var revision)
            ? revision
            : null;
    }
}
