using System.Text.Json;
using GlobalZone.Cli.Http;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// While <c>gz member add</c> waits for the leader, prints how far the newcomer has come (to stderr, every few
/// seconds, the first at once): its applied index against the leader's commit index, and the snapshot bytes it has fetched.
/// </summary>
internal static class CatchUpReporter
{
    public static async Task RunAsync(GzHttp http, Uri leader, string newcomerUrl, TextWriter output, CancellationToken token)
    {
        using var newcomer = new HttpClient(GzHttp.CreateHandler(1)) { BaseAddress = new Uri(newcomerUrl), Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            // The first line at once (an operator sees where the newcomer starts), then one every couple of seconds.
            for (var first = true; ; first = false)
            {
                if (!first)
                    await Task.Delay(TimeSpan.FromSeconds(2), token);
                var theirs = await TryStatusAsync(newcomer, token);
                long? commit = null;
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(leader, "/v1/cluster"));
                    using var response = await http.SendToAsync(request, token);
                    using var ours = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(token), cancellationToken: token);
                    commit = ours.RootElement.GetProperty("commitIndex").GetInt64();
                }
                catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException or TaskCanceledException && !token.IsCancellationRequested)
                {
                }

                var applied = theirs?.RootElement.TryGetProperty("appliedIndex", out var a) == true ? a.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture) : "?";
                var line = $"catching up: applied index {applied} of leader commit index {commit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}";
                if (theirs?.RootElement.TryGetProperty("snapshotTransfer", out var transfer) == true && transfer.ValueKind == JsonValueKind.Object)
                    line += ", " + DescribeTransfer(transfer);
                theirs?.Dispose();
                await output.WriteLineAsync(line);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    private static async Task<JsonDocument?> TryStatusAsync(HttpClient client, CancellationToken token)
    {
        try
        {
            using var response = await client.GetAsync("/v1/cluster", token);
            return response.IsSuccessStatusCode ? await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(token), cancellationToken: token) : null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !token.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>A member's <c>snapshotTransfer</c> in words (its size is 0 while the leader still writes the file).</summary>
    internal static string DescribeTransfer(JsonElement transfer)
    {
        var received = transfer.GetProperty("receivedBytes").GetInt64() / 1048576.0;
        var total = transfer.GetProperty("totalBytes").GetInt64() / 1048576.0;
        return total > 0
            ? FormattableString.Invariant($"snapshot {received:F1} of {total:F1} MiB")
            : FormattableString.Invariant($"snapshot {received:F1} MiB so far (the leader is still writing it)");
    }
}
