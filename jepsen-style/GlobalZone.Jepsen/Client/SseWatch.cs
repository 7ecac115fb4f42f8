using System.Globalization;
using System.Net.ServerSentEvents;
using GlobalZone.ClusterRunner;

namespace GlobalZone.Jepsen.Client;

/// <summary>One Server-Sent Event of a watch: its name (revision, progress, error), id (a revision) and data (JSON).</summary>
internal readonly record struct SseEvent(string Name, long? Id, string Data);

/// <summary>
/// Reads one <c>GET /v1/watch?prefix=</c> stream until it ends, breaks, or stays silent longer than
/// <c>idleTimeout</c> (the server sends progress events while idle, so silence means a stalled member).
/// </summary>
internal static class SseWatch
{
    public static async Task<string> ReadAsync(HttpClient http, MemberSpec member, string prefix, long fromRevision, TimeSpan idleTimeout, Action<SseEvent> onEvent, CancellationToken token)
    {
        var uri = $"{member.Url}/v1/watch?prefix={Uri.EscapeDataString(prefix)}&fromRevision={fromRevision.ToString(CultureInfo.InvariantCulture)}";
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
        idle.CancelAfter(idleTimeout);
        try
        {
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, idle.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                return $"HTTP {(int)response.StatusCode} from {member.Id}";
            await using var stream = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
            // The idle clock restarts before each event is awaited: the parser reads with idle.Token throughout.
            await using var events = SseParser.Create(stream).EnumerateAsync(idle.Token).GetAsyncEnumerator(idle.Token);
            while (true)
            {
                idle.CancelAfter(idleTimeout);
                if (!await events.MoveNextAsync().ConfigureAwait(false))
                    return $"stream from {member.Id} ended";
                var item = events.Current;
                long? id = long.TryParse(item.EventId, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
                onEvent(new SseEvent(item.EventType, id, item.Data));
            }
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return $"no event from {member.Id} for {idleTimeout.TotalSeconds:0} s";
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return $"connection to {member.Id} failed: {e.Message}";
        }
    }
}
