using System.CommandLine;
using System.Text.Json;
using GlobalZone.Cli.Http;
using GlobalZone.Contracts;
using static GlobalZone.Cli.Commands.AuthAdminHttp;

namespace GlobalZone.Cli.Commands;

/// <summary><c>gz user add|delete|list|passwd|grant-role|revoke-role</c>, like <c>etcdctl user</c> (root role needed once auth is on).</summary>
internal static class UserCommands
{
    public static Command Create()
    {
        var command = new Command("user", "Manage users (passwords are hashed by the member before they are replicated)");

        var nameAndPassword = new Argument<string>("name[:password]") { Description = "The user; without :password, GZ_NEW_PASSWORD or a prompt" };
        var add = new Command("add", "Add a user") { nameAndPassword, CliOptions.Json };
        add.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            var (name, password) = NameAndPassword(result.GetValue(nameAndPassword)!);
            var body = JsonSerializer.Serialize(new UserAddRequest { Name = name, Password = password }, ContractsJsonContext.Default.UserAddRequest);
            Print(result, await CallAsync(result, HttpMethod.Post, "/v1/auth/users", body, token), u => $"User {u.GetProperty("name").GetString()} added");
            return ExitCodes.Ok;
        }));

        var name = new Argument<string>("name") { Description = "The user" };
        var delete = new Command("delete", "Delete a user") { name };
        delete.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            await CallAsync(result, HttpMethod.Delete, "/v1/auth/users/" + Segment(result.GetValue(name)!), null, token);
            Console.WriteLine($"User {result.GetValue(name)} deleted");
            return ExitCodes.Ok;
        }));

        var list = new Command("list", "List users and their roles") { CliOptions.Json };
        list.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            Print(result, await CallAsync(result, HttpMethod.Get, "/v1/auth/users", null, token), body => string.Join(Environment.NewLine,
                body.GetProperty("users").EnumerateArray().Select(u =>
                    $"{u.GetProperty("name").GetString()}\t{string.Join(",", u.GetProperty("roles").EnumerateArray().Select(r => r.GetString()))}")));
            return ExitCodes.Ok;
        }));

        var passwd = new Command("passwd", "Change a user's password") { nameAndPassword };
        passwd.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            var (user, password) = NameAndPassword(result.GetValue(nameAndPassword)!);
            var body = JsonSerializer.Serialize(new PasswordChangeRequest { Password = password }, ContractsJsonContext.Default.PasswordChangeRequest);
            await CallAsync(result, HttpMethod.Put, $"/v1/auth/users/{Segment(user)}/password", body, token);
            Console.WriteLine($"Password of {user} changed");
            return ExitCodes.Ok;
        }));

        var role = new Argument<string>("role") { Description = "The role" };
        var grant = new Command("grant-role", "Grant a role to a user") { name, role };
        grant.SetAction((result, token) => RoleChangeAsync(result, HttpMethod.Put, result.GetValue(name)!, result.GetValue(role)!, "granted to", token));
        var revoke = new Command("revoke-role", "Revoke a role from a user") { name, role };
        revoke.SetAction((result, token) => RoleChangeAsync(result, HttpMethod.Delete, result.GetValue(name)!, result.GetValue(role)!, "revoked from", token));

        command.Add(add);
        command.Add(delete);
        command.Add(list);
        command.Add(passwd);
        command.Add(grant);
        command.Add(revoke);
        return command;
    }

    private static Task<int> RoleChangeAsync(ParseResult result, HttpMethod method, string user, string role, string verb, CancellationToken token)
        => CliOptions.RunAsync(async () =>
        {
            await CallAsync(result, method, $"/v1/auth/users/{Segment(user)}/roles/{Segment(role)}", null, token);
            Console.WriteLine($"Role {role} {verb} user {user}");
            return ExitCodes.Ok;
        });
}
