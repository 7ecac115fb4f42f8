using System.CommandLine;
using GlobalZone.Cli.Http;
using static GlobalZone.Cli.Commands.AuthAdminHttp;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz auth enable|disable|status</c>. Enabling is refused until user <c>root</c> exists with role <c>root</c>
/// (<c>gz user add root</c>, <c>gz user grant-role root root</c>), so the operator keeps a way in.
/// </summary>
internal static class AuthCommands
{
    public static Command Create()
    {
        var command = new Command("auth", "Turn user authentication on or off, or show whether it is on");

        var enable = new Command("enable", "Require a token on every client request (needs user root with role root)") { CliOptions.Json };
        enable.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            Print(result, await CallAsync(result, HttpMethod.Post, "/v1/auth/enable", null, token), _ => "Authentication enabled");
            return ExitCodes.Ok;
        }));

        var disable = new Command("disable", "Stop requiring tokens (users and roles are kept)") { CliOptions.Json };
        disable.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            Print(result, await CallAsync(result, HttpMethod.Post, "/v1/auth/disable", null, token), _ => "Authentication disabled");
            return ExitCodes.Ok;
        }));

        var status = new Command("status", "Whether authentication is enabled, and who gz is signed in as") { CliOptions.Json };
        status.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            Print(result, await CallAsync(result, HttpMethod.Get, "/v1/auth/status", null, token), body =>
                $"Authentication {(body.GetProperty("enabled").GetBoolean() ? "enabled" : "disabled")}"
                + (body.TryGetProperty("user", out var user) ? $"; signed in as {user.GetString()}" : ""));
            return ExitCodes.Ok;
        }));

        command.Add(enable);
        command.Add(disable);
        command.Add(status);
        return command;
    }
}
