using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GlobalZone.Cli.Http;
using GlobalZone.Client;
using GlobalZone.Contracts;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz elect NAME [-- COMMAND...]</c>, like <c>etcdctl elect</c>: campaigns in the election NAME (the lock NAME and
/// the key NAME, see <see cref="GlobalZoneElection"/>) and runs COMMAND only once elected, with the term in
/// <c>GZ_ELECTION_NAME</c>, <c>GZ_LOCK_TOKEN</c>, <c>GZ_LOCK_FENCE</c> and <c>GZ_LEASE_ID</c>. When leadership is lost,
/// COMMAND is killed and gz exits 6 (as <c>gz lock</c> does); when COMMAND exits, gz resigns and passes its exit code
/// on. Without COMMAND it holds the office until Ctrl-C. <c>gz elect NAME --observe</c> prints the leader and each
/// change of leader until Ctrl-C.
/// </summary>
internal static class ElectCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "The election's name (its lock and its leader key)" };
        var run = new Argument<string[]>("command") { Description = "Command to run while elected (after --)", Arity = ArgumentArity.ZeroOrMore };
        var observe = new Option<bool>("--observe") { Description = "Print the leader and every change of leader instead of campaigning" };
        var value = new Option<string?>("--value") { Description = "What this candidate is called once leader (default: host:pid)" };
        var ttl = new Option<double>("--ttl") { Description = "Lease TTL in seconds: how long the office survives gz dying", DefaultValueFactory = _ => 10 };
        var command = new Command("elect", "Run a command only while elected leader, or watch who leads (etcdctl elect)")
        {
            name, run, observe, value, ttl, CliOptions.Json,
        };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            var seconds = result.GetValue(ttl);
            if (!double.IsFinite(seconds) || seconds < 1)
                throw new GzException("--ttl must be at least 1 second.");
            await using var client = CreateClient(result, TimeSpan.FromSeconds(seconds));
            var election = new GlobalZoneElection(client, result.GetValue(name)!);
            try
            {
                if (result.GetValue(observe))
                    return await ObserveAsync(election, result.GetValue(CliOptions.Json), token);
                return await CampaignAsync(election, result.GetValue(value) ?? $"{Environment.MachineName}:{Environment.ProcessId}", result.GetValue(run) ?? [], token);
            }
            catch (GlobalZoneException e) when (!token.IsCancellationRequested)
            {
                throw new GzException(e.Message, e is GlobalZoneUnavailableException ? ExitCodes.Unavailable : ExitCodes.ForStatus((int)e.StatusCode));
            }
        }));
        return command;
    }

    private static GlobalZoneClient CreateClient(ParseResult result, TimeSpan ttl) => GzClient.Create(result, options => options.LockLeaseTtl = ttl);

    private static async Task<int> ObserveAsync(GlobalZoneElection election, bool json, CancellationToken token)
    {
        try
        {
            await foreach (var leader in election.ObserveAsync(token))
            {
                if (json)
                    Console.WriteLine(leader is null ? "null" : JsonSerializer.Serialize(leader, ElectionJsonContext.Default.ElectionLeader));
                else
                    Console.WriteLine(leader is null ? $"{election.Name}: no leader" : $"{election.Name}: {leader.Candidate} (token {leader.FencingToken}, lease {leader.Lease})");
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> CampaignAsync(GlobalZoneElection election, string candidate, string[] run, CancellationToken token)
    {
        await using var leadership = await election.CampaignAsync(candidate, token);
        await Console.Error.WriteLineAsync($"gz: elected leader of {election.Name} as {candidate}: token {leadership.FencingToken}, fence {leadership.Fence}, lease {leadership.LeaseId}");
        if (run.Length == 0)
        {
            using var either = CancellationTokenSource.CreateLinkedTokenSource(token, leadership.LostToken);
            try
            {
                await Task.Delay(Timeout.Infinite, either.Token);
            }
            catch (OperationCanceledException)
            {
            }

            return leadership.IsLost ? LostExit() : ExitCodes.Ok;
        }

        var info = new ProcessStartInfo(run[0]) { UseShellExecute = false };
        foreach (var arg in run.Skip(1))
            info.ArgumentList.Add(arg);
        info.Environment["GZ_ELECTION_NAME"] = election.Name;
        info.Environment["GZ_LOCK_NAME"] = election.Name;
        info.Environment["GZ_LOCK_TOKEN"] = leadership.FencingToken.ToString(CultureInfo.InvariantCulture);
        info.Environment["GZ_LOCK_FENCE"] = leadership.Fence;
        info.Environment["GZ_LEASE_ID"] = leadership.LeaseId.ToString(CultureInfo.InvariantCulture);
        using var child = Process.Start(info) ?? throw new GzException($"Could not start {run[0]}.");
        using (leadership.LostToken.Register(() => KillQuietly(child)))
        using (token.Register(() => KillQuietly(child)))
            await child.WaitForExitAsync(CancellationToken.None);
        return leadership.IsLost ? LostExit() : child.ExitCode;
    }

    private static int LostExit()
    {
        Console.Error.WriteLine("gz: leadership was lost; the command was stopped.");
        return LockCommand.LockLost;
    }

    private static void KillQuietly(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
    }
}
