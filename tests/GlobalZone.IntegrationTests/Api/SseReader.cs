using System.Text;
using System.Text.Json;

namespace GlobalZone.IntegrationTests.Api;

/// <summary>One Server-Sent Event.</summary>
internal sealed record SseEvent(string? Id, string Name, JsonElement Data);

/// <summary>Reads a <c>/v1/watch</c> stream event by event, as an EventSource would.</summary>
internal sealed class SseReader : IAsyncDisposable
{
    private readonly HttpResponseMessage response;
    private readonly StreamReader reader;

    private SseReader(HttpResponseMessage response, Stream stream)
    {
        this.response = response;
        reader = new StreamReader(stream, Encoding.UTF8);
    }

    /// <summary>Opens a watch; returns the reader, or the error answer's status and text when it is not a stream.</summary>
    public static async Task<(SseReader? Reader, int Status, string? Error)> OpenAsync(HttpClient client, string path, string? lastEventId = null, CancellationToken token = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null)
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            var text = await response.Content.ReadAsStringAsync(token);
            var status = (int)response.StatusCode;
            response.Dispose();
            return (null, status, text);
        }

        return (new SseReader(response, await response.Content.ReadAsStreamAsync(token)), (int)response.StatusCode, null);
    }

    /// <summary>The next event, or null at the end of the stream.</summary>
    public async Task<SseEvent?> NextAsync(CancellationToken token)
    {
        string? id = null, name = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(token) is { } line)
        {
            if (line.Length == 0)
            {
                if (name is null && data.Length == 0)
                    continue;
                return new SseEvent(id, name ?? "message", JsonDocument.Parse(data.ToString()).RootElement.Clone());
            }

            if (line.StartsWith(':'))
                continue;
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id": id = value; break;
                case "event": name = value; break;
                case "data": data.Append(value); break;
            }
        }

        return null;
    }

    public ValueTask DisposeAsync()
    {
        reader.Dispose();
        response.Dispose();
        return ValueTask.CompletedTask;
    }
}
