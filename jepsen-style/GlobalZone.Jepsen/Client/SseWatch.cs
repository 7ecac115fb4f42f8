using System.Globalization;
using System.Text;
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
            using var reader = new StreamReader(stream, Encoding.UTF8);
            string? name = null;
            long? id = null;
            var data = new StringBuilder();
            while (true)
            {
                idle.CancelAfter(idleTimeout);
                var line = await reader.ReadLineAsync(idle.Token).ConfigureAwait(false);
                if (line is null)
                    return $"stream from {member.Id} ended";
                if (line.Length == 0)
                {
                    if (name is not null)
                        onEvent(new SseEvent(name, id, data.ToString()));
                    name = null;
                    id = null;
                    data.Clear();
                    continue;
                }

                if (line.StartsWith("event:", StringComparison.Ordinal))
                    name = line[6..].Trim();
                else if (line.StartsWith("id:", StringComparison.Ordinal) && long.TryParse(line[3..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                    id = parsed;
                else if (line.StartsWith("data:", StringComparison.Ordinal))
                    data.Append(data.Length > 0 ? "\n" : "").Append(line[5..].TrimStart());
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
