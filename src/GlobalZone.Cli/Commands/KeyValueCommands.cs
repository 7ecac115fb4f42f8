using System.CommandLine;
using System.Text;
using System.Text.Json;
using GlobalZone.Cli.Http;
using GlobalZone.Client;
using GlobalZone.Contracts;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz kv get|put|del|list|watch</c> on <see cref="GlobalZoneClient"/> (failover, retries under one idempotency key).
/// Values are JSON; <c>put</c> takes any JSON text as is and quotes anything else as a JSON string; <c>--raw</c> sends
/// and prints bytes. Exit codes: 2 absent, 3 condition failed, 4 no member answered.
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

    private static ReadOptions ReadOptionsFor(string? consistency)
        => consistency == "stale" ? ReadOptions.Stale() : ReadOptions.Linearizable;

    private static Command Get()
    {
        var key = new Argument<string>("key") { Description = "The key" };
        var consistency = CreateConsistency();
        var raw = new Option<bool>("--raw") { Description = "Print the stored bytes only" };
        var command = new Command("get", "Print a key's value (--json: the whole record with its revisions)") { key, consistency, raw, CliOptions.Json };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            await using var client = GzClient.Create(result);
            var name = result.GetValue(key)!;
            var record = await client.GetAsync(name, ReadOptionsFor(result.GetValue(consistency)), token)
                ?? throw new GzException($"HTTP 404: No such key. Key '{name}' does not exist.", ExitCodes.NotFound) { Status = 404 };
            if (result.GetValue(raw))
            {
                // The stored bytes: raw values decoded, JSON values as their text (what ?raw answers).
                await using var stdout = Console.OpenStandardOutput();
                await stdout.WriteAsync(record.Value is null ? "null"u8.ToArray() : record.GetBytes(), token);
                return ExitCodes.Ok;
            }

            Console.WriteLine(result.GetValue(CliOptions.Json) ? KeyValueJson.Format(record) : FormatValue(record));
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
            await using var client = GzClient.Create(result);
            var text = result.GetValue(value)!;
            var bytes = text == "-" ? await ReadStdinAsync(token) : Encoding.UTF8.GetBytes(text);
            var isRaw = result.GetValue(raw);
            if (!isRaw && !IsJson(bytes))
                bytes = JsonSerializer.SerializeToUtf8Bytes(Encoding.UTF8.GetString(bytes).TrimEnd('\n', '\r'));
            var options = new WriteOptions
            {
                IfModRevision = result.GetValue(ifMatch),
                IfAbsent = result.GetValue(ifAbsent),
                Lease = result.GetValue(lease),
                // Null: the client makes one key for all of this put's attempts, so a retry cannot apply twice.
                IdempotencyKey = result.GetValue(idempotency),
            };
            var written = isRaw
                ? await client.PutBytesAsync(result.GetValue(key)!, bytes, options, token)
                : await client.PutJsonAsync(result.GetValue(key)!, bytes, options, token);
            return PrintWriteResult(written, result.GetValue(CliOptions.Json));
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
            await using var client = GzClient.Create(result);
            WriteResult deleted;
            if (result.GetValue(prefix))
            {
                if (result.GetValue(ifMatch) is not null)
                    throw new GzException("--if-mod-revision applies to one key, not to --prefix.");
                deleted = await client.DeletePrefixAsync(result.GetValue(key)!, null, token);
            }
            else
            {
                deleted = await client.DeleteAsync(result.GetValue(key)!, new WriteOptions { IfModRevision = result.GetValue(ifMatch) }, token);
            }

            return PrintWriteResult(deleted, result.GetValue(CliOptions.Json));
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
            await using var client = GzClient.Create(result);
            var max = result.GetValue(limit) ?? int.MaxValue;
            var keys = result.GetValue(keysOnly);
            var read = ReadOptionsFor(result.GetValue(consistency));
            var printed = 0;
            string? after = null;
            while (printed < max)
            {
                var page = await client.ListAsync(result.GetValue(prefix)!, new ListOptions { Limit = Math.Min(1000, max - printed), After = after, KeysOnly = keys, Read = read }, token);
                foreach (var record in page.Items)
                {
                    if (result.GetValue(CliOptions.Json))
                        Console.WriteLine(KeyValueJson.Format(record, includeValue: !keys));
                    else if (keys)
                        Console.WriteLine(record.Key);
                    else
                        Console.WriteLine($"{record.Key}\t{FormatValue(record)}");
                    printed++;
                }

                if (!page.More)
                    break;
                after = page.Next;
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static int PrintWriteResult(WriteResult written, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(written, ContractsJsonContext.Default.WriteResult));
            return ExitCodes.Ok;
        }

        var text = $"revision {written.Revision}";
        if (written.Deleted is { } deleted)
            text += $", deleted {deleted}";
        Console.WriteLine(text);
        return ExitCodes.Ok;
    }

    /// <summary>A record's value as a person reads it: strings unquoted, other JSON as text, raw bytes as base64.</summary>
    internal static string FormatValue(KeyValue record)
    {
        // The client reads a stored JSON null as no value.
        if (record.Value is not { } value)
            return "null";
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
