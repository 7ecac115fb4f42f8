using System.Net.ServerSentEvents;
using System.Text.Json;

namespace GlobalZone.IntegrationTests.Api;

/// <summary>One Server-Sent Event.</summary>
internal sealed record SseEvent(string? Id, string Name, JsonElement Data);

/// <summary>Reads a <c>/v1/watch</c> stream event by event, as an EventSource would (System.Net.ServerSentEvents parses it).</summary>
internal sealed class SseReader : IAsyncDisposable
{
    private readonly HttpResponseMessage response;
    // Each NextAsync takes its own token; the parser's enumeration has one, so a call's token cancels this one.
    private readonly CancellationTokenSource cancel = new();
    private readonly IAsyncEnumerator<SseItem<JsonElement>> events;

    private SseReader(HttpResponseMessage response, Stream stream)
    {
        this.response = response;
        events = SseParser.Create(stream, static (_, data) => JsonElement.Parse(data))
            .EnumerateAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
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
        using var caller = token.Register(static state => ((CancellationTokenSource)state!).Cancel(), cancel);
        try
        {
            if (!await events.MoveNextAsync())
                return null;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw new OperationCanceledException(token);
        }

        var item = events.Current;
        return new SseEvent(item.EventId, item.EventType, item.Data);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await events.DisposeAsync();
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException or ObjectDisposedException)
        {
            // A broken or cancelled stream: nothing left to release but the response.
        }

        cancel.Dispose();
        response.Dispose();
    }
}
