using System.CommandLine;
using System.Text.Json;
using GlobalZone.Cli.Http;
using GlobalZone.Contracts;
using static GlobalZone.Cli.Commands.AuthAdminHttp;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz role add|delete|list|grant-permission|revoke-permission</c>, like <c>etcdctl role</c>. A permission is read,
/// write or readwrite on every key under a prefix (locks count as the key of their name); <c>root</c> is built in.
/// </summary>
internal static class RoleCommands
{
    public static Command Create()
    {
        var command = new Command("role", "Manage roles and their permissions on key prefixes");

        var name = new Argument<string>("role") { Description = "The role" };
        var add = new Command("add", "Add a role (with no permissions)") { name };
        add.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            var body = JsonSerializer.Serialize(new RoleAddRequest { Name = result.GetValue(name)! }, ContractsJsonContext.Default.RoleAddRequest);
            await CallAsync(result, HttpMethod.Post, "/v1/auth/roles", body, token);
            Console.WriteLine($"Role {result.GetValue(name)} added");
            return ExitCodes.Ok;
        }));

        var delete = new Command("delete", "Delete a role (and take it from every user)") { name };
        delete.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            await CallAsync(result, HttpMethod.Delete, "/v1/auth/roles/" + Segment(result.GetValue(name)!), null, token);
            Console.WriteLine($"Role {result.GetValue(name)} deleted");
            return ExitCodes.Ok;
        }));

        var list = new Command("list", "List roles and their permissions") { CliOptions.Json };
        list.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            Print(result, await CallAsync(result, HttpMethod.Get, "/v1/auth/roles", null, token), body => string.Join(Environment.NewLine,
                body.GetProperty("roles").EnumerateArray().Select(r => $"{r.GetProperty("name").GetString()}\t" + string.Join(", ",
                    r.GetProperty("permissions").EnumerateArray().Select(p => $"{p.GetProperty("access").GetString()} '{p.GetProperty("prefix").GetString()}'")))));
            return ExitCodes.Ok;
        }));

        var access = new Argument<string>("read|write|readwrite") { Description = "What the role may do under the prefix" };
        var prefix = new Argument<string>("prefix") { Description = "Key prefix ('' for every key)" };
        var grant = new Command("grant-permission", "Grant a role access to every key under a prefix") { name, access, prefix };
        grant.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            var body = JsonSerializer.Serialize(new Permission { Prefix = result.GetValue(prefix)!, Access = result.GetValue(access)! }, ContractsJsonContext.Default.Permission);
            await CallAsync(result, HttpMethod.Post, $"/v1/auth/roles/{Segment(result.GetValue(name)!)}/permissions", body, token);
            Console.WriteLine($"Role {result.GetValue(name)} may {result.GetValue(access)} keys under '{result.GetValue(prefix)}'");
            return ExitCodes.Ok;
        }));

        var revoke = new Command("revoke-permission", "Remove a role's grant on a prefix") { name, prefix };
        revoke.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            await CallAsync(result, HttpMethod.Delete,
                $"/v1/auth/roles/{Segment(result.GetValue(name)!)}/permissions?prefix={Uri.EscapeDataString(result.GetValue(prefix)!)}", null, token);
            Console.WriteLine($"Role {result.GetValue(name)} no longer has a grant on '{result.GetValue(prefix)}'");
            return ExitCodes.Ok;
        }));

        command.Add(add);
        command.Add(delete);
        command.Add(list);
        command.Add(grant);
        command.Add(revoke);
        return command;
    }
}
