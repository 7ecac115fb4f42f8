using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalZone.Cli.Http;
using GlobalZone.Contracts;

namespace GlobalZone.Cli.Commands;

/// <summary><c>gz lease grant|keepalive|revoke|get|list</c> over <c>/v1/leases</c>.</summary>
internal static class LeaseCommands
{
    public static Command Create()
    {
        var command = new Command("lease", "Grant, renew, inspect and revoke leases (keys and locks attached to a lease go with it)");
        command.Add(Grant());
        command.Add(KeepAlive());
        command.Add(Revoke());
        command.Add(Get());
        command.Add(List());
        return command;
    }

    private static Command Grant()
    {
        var ttl = new Argument<double>("ttl") { Description = "Seconds the lease lives without a keep-alive" };
        var id = new Option<long?>("--id") { Description = "Choose the lease id (default: the server picks)" };
        var command = new Command("grant", "Grant a lease and print its id") { ttl, id, CliOptions.Json };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            using var http = CliOptions.CreateHttp(result);
            var lease = await GrantAsync(http, result.GetValue(ttl), result.GetValue(id), token);
            Print(lease, result.GetValue(CliOptions.Json));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command KeepAlive()
    {
        var id = new Argument<long>("id") { Description = "Lease id" };
        var forever = new Option<bool>("--forever") { Description = "Keep renewing every third of the TTL until Ctrl-C" };
        var command = new Command("keepalive", "Renew a lease (restart its countdown)") { id, forever, CliOptions.Json };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            using var http = CliOptions.CreateHttp(result);
            do
            {
                var lease = await KeepAliveAsync(http, result.GetValue(id), token);
                Print(lease, result.GetValue(CliOptions.Json));
                if (!result.GetValue(forever))
                    break;
                await Task.Delay(TimeSpan.FromSeconds(lease.Ttl / 3), token);
            }
            while (true);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Revoke()
    {
        var id = new Argument<long>("id") { Description = "Lease id" };
        var command = new Command("revoke", "Revoke a lease: its keys are deleted and its locks released") { id, CliOptions.Json };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            using var http = CliOptions.CreateHttp(result);
            var lease = await RevokeAsync(http, result.GetValue(id), token);
            if (result.GetValue(CliOptions.Json))
                Print(lease, json: true);
            else
                Console.WriteLine($"lease {lease.Id} revoked at revision {lease.Revision}, {lease.Deleted ?? 0} keys deleted");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Get()
    {
        var id = new Argument<long>("id") { Description = "Lease id" };
        var keys = new Option<bool>("--keys") { Description = "Also list the keys attached to it" };
        var command = new Command("get", "Show a lease's TTL, remaining time and keys") { id, keys, CliOptions.Json };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            using var http = CliOptions.CreateHttp(result);
            var path = $"/v1/leases/{result.GetValue(id).ToString(CultureInfo.InvariantCulture)}" + (result.GetValue(keys) ? "?keys" : "");
            using var document = await http.GetJsonAsync(path, token);
            Print(document.RootElement.Deserialize(ContractsJsonContext.Default.LeaseInfo)!, result.GetValue(CliOptions.Json));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List the leases") { CliOptions.Json };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            using var http = CliOptions.CreateHttp(result);
            using var document = await http.GetJsonAsync("/v1/leases", token);
            var list = document.RootElement.Deserialize(ContractsJsonContext.Default.LeaseList)!;
            foreach (var lease in list.Leases)
                Print(lease, result.GetValue(CliOptions.Json));
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static async Task<LeaseInfo> GrantAsync(GzHttp http, double ttl, long? id, CancellationToken token)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new LeaseGrantRequest { Ttl = ttl, Id = id }, ContractsJsonContext.Default.LeaseGrantRequest);
        return await SendForLeaseAsync(http, HttpMethod.Post, "/v1/leases", body, token);
    }

    public static Task<LeaseInfo> KeepAliveAsync(GzHttp http, long id, CancellationToken token)
        => SendForLeaseAsync(http, HttpMethod.Post, $"/v1/leases/{id.ToString(CultureInfo.InvariantCulture)}/keepalive", null, token);

    public static Task<LeaseInfo> RevokeAsync(GzHttp http, long id, CancellationToken token)
        => SendForLeaseAsync(http, HttpMethod.Delete, $"/v1/leases/{id.ToString(CultureInfo.InvariantCulture)}", null, token);

    private static async Task<LeaseInfo> SendForLeaseAsync(GzHttp http, HttpMethod method, string path, byte[]? body, CancellationToken token)
    {
        using var response = await http.SendAsync(e =>
        {
            var request = new HttpRequestMessage(method, new Uri(e, path));
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            }

            return request;
        }, token);
        await GzHttp.EnsureSuccessAsync(response, token);
        return (await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.LeaseInfo, token))!;
    }

    private static void Print(LeaseInfo lease, bool json)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(lease, ContractsJsonContext.Default.LeaseInfo));
            return;
        }

        var text = string.Create(CultureInfo.InvariantCulture, $"lease {lease.Id} ttl {lease.Ttl:0.###} s");
        if (lease.Remaining is { } remaining)
            text += string.Create(CultureInfo.InvariantCulture, $", remaining {remaining:0.###} s");
        if (lease.Keys is { Count: > 0 } keys)
            text += ", keys: " + string.Join(", ", keys);
        Console.WriteLine(text);
    }
}
