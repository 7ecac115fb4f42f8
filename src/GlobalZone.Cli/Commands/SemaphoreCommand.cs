using System.CommandLine;
using System.Globalization;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz semaphore NAME -n 3 [-- COMMAND...]</c>: <c>gz lock</c> with one of a semaphore's permits, so at most N
/// commands run at once across machines. Same lease, environment (<c>GZ_LOCK_*</c>, <c>GZ_LEASE_ID</c>, plus
/// <c>GZ_LOCK_MODE=permit</c>) and exit codes: COMMAND's own, or 6 when the lease was lost and COMMAND was killed.
/// </summary>
internal static class SemaphoreCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "The semaphore's name" };
        var run = new Argument<string[]>("command") { Description = "Command to run while holding a permit (after --)", Arity = ArgumentArity.ZeroOrMore };
        var limit = new Option<int>("--limit", "-n") { Description = "How many holders at once (every holder names the same number), 1 to 1000", Required = true };
        var ttl = new Option<double>("--ttl") { Description = "Lease TTL in seconds: how long the permit survives gz dying", DefaultValueFactory = _ => 10 };
        var wait = new Option<double>("--wait") { Description = "Seconds to wait in the queue", DefaultValueFactory = _ => 300 };
        var owner = new Option<string?>("--owner") { Description = "Label shown to others inspecting the semaphore (default: host and pid)" };
        var command = new Command("semaphore", "Hold one of a semaphore's N permits while a command runs") { name, run, limit, ttl, wait, owner };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            var route = "/v1/semaphores/{0}?limit=" + result.GetValue(limit).ToString(CultureInfo.InvariantCulture);
            using var http = CliOptions.CreateHttp(result, TimeSpan.FromSeconds(result.GetValue(wait) + 30));
            return await LockCommand.RunAsync(http, route, result.GetValue(name)!, result.GetValue(run) ?? [], result.GetValue(ttl), result.GetValue(wait),
                result.GetValue(owner) ?? $"{Environment.MachineName}/{Environment.ProcessId}", token);
        }));
        return command;
    }
}
