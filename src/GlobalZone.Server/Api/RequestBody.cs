using GlobalZone.Contracts;

namespace GlobalZone.Server.Api;

/// <summary>Reads a request body up to a limit, refusing larger ones before they reach the log.</summary>
internal static class RequestBody
{
    /// <summary>The body, or null after writing a 413 problem.</summary>
    public static async Task<byte[]?> ReadLimitedAsync(HttpContext context, int limit)
    {
        var request = context.Request;
        if (request.ContentLength > limit)
        {
            await TooLarge(context, limit);
            return null;
        }

        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 256);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                await TooLarge(context, limit);
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static Task TooLarge(HttpContext context, int limit)
        => Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ProblemTypes.ValueTooLarge, "The body is too large.", $"Values are limited to {limit} bytes.");
}
