using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GlobalZone.Cli.Http;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz kv get|put|del|list|watch</c> over <c>/v1/kv</c>. Values are JSON; <c>put</c> takes any JSON text as is and
/// quotes anything else as a JSON string; <c>--raw</c> sends and prints bytes. Exit codes: 2 absent, 3 condition failed.
/// </summary>
internal static class KeyValueCommands
{
    public static Command Create()
    {
        var command = new Command("kv", "Read and write keys");
        command.Add(Get());
        command.Add(Put());
        command.Add(Delete());
        command.Add(List());
        command.Add(WatchCommand.Create());
        return command;
    }

    private static Option<string> CreateConsistency()
    {
        var option = new Option<string>("--consistency") { Description = "linearizable (default) or stale", DefaultValueFactory = _ => "linearizable" };
        option.AcceptOnlyFromAmong("linearizable", "stale");
        return option;
    }

    internal static string KeyPath(string key) => "/v1/kv/" + string.Join('/', key.Split('/').Select(Uri.EscapeDataString));

    private static Command Get()
    {
        var key = new Argument<string>("key") { Description = "The key" };
        var consistency = CreateConsistency();
        var raw = new Option<bool>("--raw") { Description = "Print the stored bytes only" };
        var command = new Command("get", "Print a key's value (--json: the whole record with its revisions)") { key, consistency, raw, CliOptions.Json };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            using var http = CliOptions.CreateHttp(result);
            var query = "?consistency=" + result.GetValue(consistency) + (result.GetValue(raw) ? "&raw" : "");
            using var response = await http.SendAsync(e => new HttpRequestMessage(HttpMethod.Get, new Uri(e, KeyPath(result.GetValue(key)!) + query)), token);
            await GzHttp.EnsureSuccessAsync(response, token);
            if (result.GetValue(raw))
            {
                await using var stdout = Console.OpenStandardOutput();
                await response.Content.CopyToAsync(stdout, token);
                return ExitCodes.Ok;
            }

            using var record = JsonDocument.Parse(await response.Content.ReadAsStringAsync(token));
            if (result.GetValue(CliOptions.Json))
                Console.WriteLine(record.RootElement.GetRawText());
            else
                Console.WriteLine(FormatValue(record.RootElement));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Put()
    {
        var key = new Argument<string>("key") { Description = "The key" };
        var value = new Argument<string>("value") { Description = "JSON text (anything else is stored as a JSON string); - reads standard input" };
        var raw = new Option<bool>("--raw") { Description = "Store the bytes as they are (not JSON)" };
        var ifMatch = new Option<long?>("--if-mod-revision") { Description = "Only if the key's modRevision is this (compare-and-swap)" };
        var ifAbsent = new Option<bool>("--if-absent") { Description = "Only if the key does not exist" };
        var lease = new Option<long?>("--lease") { Description = "Attach the key to a lease id" };
        var idempotency = new Option<string?>("--idempotency-key") { Description = "Apply at most once for this key (safe retries)" };
        var command = new Command("put", "Write a key") { key, value, raw, ifMatch, ifAbsent, lease, idempotency, CliOptions.Json };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            using var http = CliOptions.CreateHttp(result);
            var text = result.GetValue(value)!;
            var bytes = text == "-" ? await ReadStdinAsync(token) : Encoding.UTF8.GetBytes(text);
            var isRaw = result.GetValue(raw);
            if (!isRaw && !IsJson(bytes))
                bytes = JsonSerializer.SerializeToUtf8Bytes(Encoding.UTF8.GetString(bytes).TrimEnd('\n', '\r'));
            var query = new List<string>();
            if (isRaw)
                query.Add("raw");
            if (result.GetValue(lease) is { } leaseId)
                query.Add("lease=" + leaseId.ToString(CultureInfo.InvariantCulture));
            var path = KeyPath(result.GetValue(key)!) + (query.Count > 0 ? "?" + string.Join('&', query) : "");
            using var response = await http.SendAsync(e =>
            {
                var request = new HttpRequestMessage(HttpMethod.Put, new Uri(e, path)) { Content = new ByteArrayContent(bytes) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(isRaw ? "application/octet-stream" : "application/json");
                AddConditions(request, result.GetValue(ifMatch), result.GetValue(ifAbsent), result.GetValue(idempotency));
                return request;
            }, token);
            return await PrintWriteResultAsync(response, result.GetValue(CliOptions.Json), token);
        }));
        return command;
    }

    private static Command Delete()
    {
        var key = new Argument<string>("key") { Description = "The key (or prefix with --prefix)" };
        var prefix = new Option<bool>("--prefix") { Description = "Delete every key starting with KEY" };
        var ifMatch = new Option<long?>("--if-mod-revision") { Description = "Only if the key's modRevision is this" };
        var command = new Command("del", "Delete a key or a prefix") { key, prefix, ifMatch, CliOptions.Json };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            using var http = CliOptions.CreateHttp(result);
            var path = KeyPath(result.GetValue(key)!) + (result.GetValue(prefix) ? "?prefix" : "");
            using var response = await http.SendAsync(e =>
            {
                var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(e, path));
                AddConditions(request, result.GetValue(ifMatch), false, null);
                return request;
            }, token);
            return await PrintWriteResultAsync(response, result.GetValue(CliOptions.Json), token);
        }));
        return command;
    }

    private static Command List()
    {
        var prefix = new Argument<string>("prefix") { Description = "Key prefix (empty: every key)", DefaultValueFactory = _ => "" };
        var keysOnly = new Option<bool>("--keys-only") { Description = "Print key names only" };
        var limit = new Option<int?>("--limit") { Description = "Stop after this many keys" };
        var consistency = CreateConsistency();
        var command = new Command("list", "List keys by prefix, following pages") { prefix, keysOnly, limit, consistency, CliOptions.Json };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            using var http = CliOptions.CreateHttp(result);
            var max = result.GetValue(limit) ?? int.MaxValue;
            var printed = 0;
            string? after = null;
            while (printed < max)
            {
                var page = Math.Min(1000, max - printed);
                var query = $"?prefix&limit={page}&consistency={result.GetValue(consistency)}" + (result.GetValue(keysOnly) ? "&keysOnly" : "")
                    + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
                using var document = await http.GetJsonAsync(KeyPath(result.GetValue(prefix)!) + query, token);
                foreach (var record in document.RootElement.GetProperty("kvs").EnumerateArray())
                {
                    if (result.GetValue(CliOptions.Json))
                        Console.WriteLine(record.GetRawText());
                    else if (result.GetValue(keysOnly))
                        Console.WriteLine(record.GetProperty("key").GetString());
                    else
                        Console.WriteLine($"{record.GetProperty("key").GetString()}\t{FormatValue(record)}");
                    printed++;
                }

                if (!document.RootElement.GetProperty("more").GetBoolean())
                    break;
                after = document.RootElement.GetProperty("next").GetString();
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void AddConditions(HttpRequestMessage request, long? ifModRevision, bool ifAbsent, string? idempotencyKey)
    {
        if (ifModRevision is { } revision)
            request.Headers.TryAddWithoutValidation("If-Match", "\"" + revision.ToString(CultureInfo.InvariantCulture) + "\"");
        if (ifAbsent)
            request.Headers.TryAddWithoutValidation("If-None-Match", "*");
        if (idempotencyKey is not null)
            request.Headers.TryAddWithoutValidation(Contracts.HeaderNames.IdempotencyKey, idempotencyKey);
    }

    private static async Task<int> PrintWriteResultAsync(HttpResponseMessage response, bool json, CancellationToken token)
    {
        await GzHttp.EnsureSuccessAsync(response, token);
        var body = await response.Content.ReadAsStringAsync(token);
        if (json)
        {
            Console.WriteLine(body);
            return ExitCodes.Ok;
        }

        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var text = $"revision {root.GetProperty("revision").GetInt64()}";
        if (root.TryGetProperty("deleted", out var deleted))
            text += $", deleted {deleted.GetInt64()}";
        Console.WriteLine(text);
        return response.StatusCode == HttpStatusCode.OK ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>A record's value as a person reads it: strings unquoted, other JSON as text, raw bytes as base64.</summary>
    internal static string FormatValue(JsonElement record)
    {
        if (!record.TryGetProperty("value", out var value))
            return "";
        return value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : value.GetRawText();
    }

    private static bool IsJson(byte[] bytes)
    {
        try
        {
            var reader = new Utf8JsonReader(bytes);
            if (!reader.Read())
                return false;
            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static async Task<byte[]> ReadStdinAsync(CancellationToken token)
    {
        using var buffer = new MemoryStream();
        await using var stdin = Console.OpenStandardInput();
        await stdin.CopyToAsync(buffer, token);
        return buffer.ToArray();
    }
}
