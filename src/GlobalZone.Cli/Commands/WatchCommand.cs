using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;
using GlobalZone.Cli.Http;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz kv watch KEY [--prefix] [--from-revision N] [--count N]</c>: follows <c>/v1/watch</c> (Server-Sent Events),
/// one line per change. When the member goes away it reconnects (to the next endpoint) with <c>Last-Event-ID</c>, so
/// no revision is skipped or repeated.
/// </summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var key = new Argument<string>("key") { Description = "The key, or the prefix with --prefix (empty: every key)", DefaultValueFactory = _ => "" };
        var prefix = new Option<bool>("--prefix") { Description = "Watch every key starting with KEY" };
        var from = new Option<long?>("--from-revision") { Description = "Start at this revision (still in the history) instead of now" };
        var count = new Option<int?>("--count") { Description = "Exit after this many revisions" };
        var command = new Command("watch", "Print changes to a key or prefix as they commit") { key, prefix, from, count, CliOptions.Json };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            using var http = CliOptions.CreateHttp(result, Timeout.InfiniteTimeSpan);
            var query = result.GetValue(prefix) ? "?prefix=" + Uri.EscapeDataString(result.GetValue(key)!) : "?key=" + Uri.EscapeDataString(result.GetValue(key)!);
            if (!result.GetValue(prefix) && result.GetValue(key)!.Length == 0)
                throw new GzException("Give a key, or --prefix (with an empty prefix for every key).");
            if (result.GetValue(from) is { } start)
                query += "&fromRevision=" + start.ToString(CultureInfo.InvariantCulture);
            return await FollowAsync(http, "/v1/watch" + query, result.GetValue(count), result.GetValue(CliOptions.Json), token);
        }));
        return command;
    }

    private static async Task<int> FollowAsync(GzHttp http, string path, int? count, bool json, CancellationToken token)
    {
        string? lastEventId = null;
        var printed = 0;
        var failures = 0;
        while (!token.IsCancellationRequested)
        {
            try
            {
                using var response = await http.SendAsync(e =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Get, new Uri(e, path));
                    request.Headers.Accept.ParseAdd("text/event-stream");
                    if (lastEventId is not null)
                        request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
                    return request;
                }, token);
                if (response.StatusCode != HttpStatusCode.OK)
                    throw await GzHttp.ProblemAsync(response, token);
                failures = 0;
                await using var body = await response.Content.ReadAsStreamAsync(token);
                await foreach (var item in SseParser.Create(body).EnumerateAsync(token))
                {
                    if (item.EventType == "revision")
                    {
                        Print(item.Data, json);
                        if (count is { } max && ++printed >= max)
                            return ExitCodes.Ok;
                    }
                    else if (item.EventType == "error")
                    {
                        throw new GzException("The watch ended: " + item.Data);
                    }

                    // The id of an event that arrived whole (not the parser's LastEventId, which an id line of an
                    // event cut off mid-way would already have moved past a revision not printed).
                    if (item.EventId is not null)
                        lastEventId = item.EventId;
                }
            }
            catch (GzException e) when (e.Status is null or >= 500 && ++failures < 30 && !token.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"gz: watch interrupted ({e.Message}); reconnecting");
                await Task.Delay(TimeSpan.FromMilliseconds(500), token);
            }
            catch (IOException) when (!token.IsCancellationRequested)
            {
                // The member closed the stream: reconnect and resume after the last event seen.
            }
        }

        return ExitCodes.Ok;
    }

    private static void Print(string data, bool json)
    {
        if (json)
        {
            Console.WriteLine(data);
            return;
        }

        using var document = JsonDocument.Parse(data);
        var revision = document.RootElement.GetProperty("revision").GetInt64();
        foreach (var change in document.RootElement.GetProperty("events").EnumerateArray())
        {
            var kv = change.GetProperty("kv");
            var key = kv.GetProperty("key").GetString();
            Console.WriteLine(change.GetProperty("type").GetString() == "put"
                ? $"PUT {key} {FormatValue(kv)} (revision {revision})"
                : $"DELETE {key} (revision {revision})");
        }

        Console.Out.Flush();
    }

    private static string FormatValue(JsonElement record)
    {
        if (!record.TryGetProperty("value", out var value))
            return "";
        return value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : value.GetRawText();
    }
}
