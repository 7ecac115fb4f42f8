using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GlobalZone.Cli.Http;
using GlobalZone.Client;
using GlobalZone.Contracts;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz lease grant|keepalive|revoke|get|list</c> on <see cref="GlobalZoneClient"/> (failover, idempotent retries).
/// Exit codes: 2 no such lease, 4 no member answered.
/// </summary>
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
            var seconds = result.GetValue(ttl);
            if (!double.IsFinite(seconds) || seconds < 1)
                throw new GzException("The TTL must be at least 1 second.");
            await using var client = GzClient.Create(result);
            // No keep-alive and never disposed: the lease outlives gz, as a granted lease id on the command line must.
            var lease = await client.GrantLeaseAsync(TimeSpan.FromSeconds(seconds), new LeaseOptions { KeepAlive = false, Id = result.GetValue(id) }, token);
            // What the grant answered: a fresh lease has its whole TTL left.
            var ttlSeconds = lease.Ttl.TotalSeconds;
            Print(new LeaseInfo { Id = lease.Id, Ttl = ttlSeconds, Remaining = Math.Round(ttlSeconds, 3) }, result.GetValue(CliOptions.Json));
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
            await using var client = GzClient.Create(result);
            var leaseId = result.GetValue(id);
            do
            {
                var lease = await client.RenewLeaseAsync(leaseId, token) ?? throw NotFound(leaseId);
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
            await using var client = GzClient.Create(result);
            var leaseId = result.GetValue(id);
            var lease = await client.RevokeLeaseWithResultAsync(leaseId, token) ?? throw NotFound(leaseId);
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
            await using var client = GzClient.Create(result);
            var leaseId = result.GetValue(id);
            var lease = await client.GetLeaseAsync(leaseId, result.GetValue(keys), null, token) ?? throw NotFound(leaseId);
            Print(lease, result.GetValue(CliOptions.Json));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List the leases") { CliOptions.Json };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            await using var client = GzClient.Create(result);
            foreach (var lease in await client.ListLeasesAsync(null, token))
                Print(lease, result.GetValue(CliOptions.Json));
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The line the server's 404 gave when gz printed it (the client answers null instead).</summary>
    private static GzException NotFound(long id)
        => new($"HTTP 404: No such lease. Lease {id.ToString(CultureInfo.InvariantCulture)} does not exist (expired or revoked?).", ExitCodes.NotFound) { Status = 404 };

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
