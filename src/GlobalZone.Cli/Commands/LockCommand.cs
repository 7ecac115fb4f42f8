using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using GlobalZone.Cli.Http;
using GlobalZone.Contracts;

namespace GlobalZone.Cli.Commands;

/// <summary>
/// <c>gz lock NAME [-- COMMAND...]</c>, like <c>etcdctl lock</c>: grants a lease, waits in the lock's queue, then
/// runs COMMAND while keeping the lease alive, and releases the lock and revokes the lease when COMMAND exits (exit
/// code passed through). COMMAND gets the grant in <c>GZ_LOCK_NAME</c>, <c>GZ_LOCK_TOKEN</c>, <c>GZ_LOCK_FENCE</c>
/// (send it as <c>If-Fencing-Token</c> on writes it protects) and <c>GZ_LEASE_ID</c>. If the lease is lost (the
/// cluster could not be reached for a whole TTL), COMMAND is killed and gz exits 6: someone else may hold the lock.
/// Without COMMAND, prints the grant and holds the lock until Ctrl-C. With <c>--read</c> or <c>--write</c> the name
/// is a reader-writer lock (many readers or one writer); <c>gz semaphore</c> runs the same way with a permit.
/// </summary>
internal static class LockCommand
{
    public const int LockLost = 6;

    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "The lock's name" };
        var run = new Argument<string[]>("command") { Description = "Command to run while holding the lock (after --)", Arity = ArgumentArity.ZeroOrMore };
        var ttl = new Option<double>("--ttl") { Description = "Lease TTL in seconds: how long the lock survives gz dying", DefaultValueFactory = _ => 10 };
        var wait = new Option<double>("--wait") { Description = "Seconds to wait in the queue", DefaultValueFactory = _ => 300 };
        var owner = new Option<string?>("--owner") { Description = "Label shown to others inspecting the lock (default: host and pid)" };
        var read = new Option<bool>("--read") { Description = "Take NAME as a reader-writer lock, for reading (shared with other readers)" };
        var write = new Option<bool>("--write") { Description = "Take NAME as a reader-writer lock, for writing (alone)" };
        var command = new Command("lock", "Hold a lock while a command runs (etcdctl lock)") { name, run, ttl, wait, owner, read, write };
        command.SetAction((result, token) => CliOptions.RunAsync(async () =>
        {
            var (reads, writes) = (result.GetValue(read), result.GetValue(write));
            if (reads && writes)
                throw new GzException("--read and --write exclude each other: a reader-writer lock is taken in one mode.");
            var route = reads ? "/v1/rwlocks/{0}?mode=read" : writes ? "/v1/rwlocks/{0}?mode=write" : "/v1/locks/{0}";
            using var http = CliOptions.CreateHttp(result, TimeSpan.FromSeconds(result.GetValue(wait) + 30));
            return await RunAsync(http, route, result.GetValue(name)!, result.GetValue(run) ?? [], result.GetValue(ttl), result.GetValue(wait),
                result.GetValue(owner) ?? $"{Environment.MachineName}/{Environment.ProcessId}", token);
        }));
        return command;
    }

    /// <param name="route">The acquire path with <c>{0}</c> for the escaped name (and the mode or limit in its query).</param>
    internal static async Task<int> RunAsync(GzHttp http, string route, string name, string[] run, double ttl, double wait, string owner, CancellationToken token)
    {
        var grantedAt = Stopwatch.GetTimestamp();
        var lease = await LeaseHttp.GrantAsync(http, ttl, null, token);
        using var lost = new CancellationTokenSource();
        using var done = CancellationTokenSource.CreateLinkedTokenSource(token);
        Task? keeper = null;
        try
        {
            // Renew while waiting too: the wait may be longer than the TTL.
            keeper = KeepAliveAsync(http, lease, grantedAt, lost, done.Token);
            var grant = await AcquireAsync(http, route, name, lease.Id, wait, owner, token);
            var env = new Dictionary<string, string>
            {
                ["GZ_LOCK_NAME"] = grant.Name,
                ["GZ_LOCK_TOKEN"] = grant.FencingToken.ToString(CultureInfo.InvariantCulture),
                ["GZ_LOCK_FENCE"] = grant.Fence,
                ["GZ_LEASE_ID"] = lease.Id.ToString(CultureInfo.InvariantCulture),
            };
            if (grant.Mode is { } mode)
                env["GZ_LOCK_MODE"] = mode;
            if (run.Length == 0)
            {
                Console.WriteLine($"{grant.Name} held{(grant.Mode is { } m ? $" ({m})" : "")}: token {grant.FencingToken}, fence {grant.Fence}, lease {lease.Id}. Ctrl-C releases it.");
                try
                {
                    await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(token, lost.Token).Token);
                }
                catch (OperationCanceledException) when (!lost.IsCancellationRequested)
                {
                }

                return lost.IsCancellationRequested ? LockLostExit() : ExitCodes.Ok;
            }

            var info = new ProcessStartInfo(run[0]) { UseShellExecute = false };
            foreach (var arg in run.Skip(1))
                info.ArgumentList.Add(arg);
            foreach (var (key, value) in env)
                info.Environment[key] = value;
            using var child = Process.Start(info) ?? throw new GzException($"Could not start {run[0]}.");
            using (lost.Token.Register(() => KillQuietly(child)))
            using (token.Register(() => KillQuietly(child)))
                await child.WaitForExitAsync(CancellationToken.None);
            return lost.IsCancellationRequested ? LockLostExit() : child.ExitCode;
        }
        finally
        {
            await done.CancelAsync();
            if (keeper is not null)
                await keeper;
            if (!lost.IsCancellationRequested)
            {
                // Revoking the lease releases the lock (and deletes nothing else: the lease only holds the lock).
                try
                {
                    await LeaseHttp.RevokeAsync(http, lease.Id, CancellationToken.None);
                }
                catch (GzException e)
                {
                    await Console.Error.WriteLineAsync($"gz: could not revoke lease {lease.Id} ({e.Message}); the lock is released when it expires in {ttl} s.");
                }
            }
        }
    }

    private static int LockLostExit()
    {
        Console.Error.WriteLine("gz: the lock's lease was lost; the command was stopped.");
        return LockLost;
    }

    private static async Task<LockGrant> AcquireAsync(GzHttp http, string route, string name, long lease, double wait, string owner, CancellationToken token)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new LockAcquireRequest { Lease = lease, Wait = wait, Owner = owner }, ContractsJsonContext.Default.LockAcquireRequest);
        using var response = await http.SendAsync(e =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(e, string.Format(CultureInfo.InvariantCulture, route, string.Join('/', name.Split('/').Select(Uri.EscapeDataString)))))
            {
                Content = new ByteArrayContent(body),
            };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            return request;
        }, token);
        await GzHttp.EnsureSuccessAsync(response, token);
        return (await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.LockGrant, token))!;
    }

    /// <summary>Renews every third of the TTL; cancels <paramref name="lost"/> once the lease is gone or a whole TTL passed without a renewal.</summary>
    /// <remarks>The countdown is taken from when a renewal was *sent*: the server restarts it before we hear back.</remarks>
    private static async Task KeepAliveAsync(GzHttp http, LeaseInfo lease, long grantedAt, CancellationTokenSource lost, CancellationToken done)
    {
        var ttl = TimeSpan.FromSeconds(lease.Ttl);
        var lastRenewed = grantedAt;
        while (!done.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ttl / 3, done);
                var sent = Stopwatch.GetTimestamp();
                // Counted down here, not left to the HTTP timeout (--wait + 30 s): a renewal still unanswered when the
                // TTL since the last one runs out means the lease may be gone, and someone else may hold the lock.
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(done);
                var left = ttl - Stopwatch.GetElapsedTime(lastRenewed);
                deadline.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
                await LeaseHttp.KeepAliveAsync(http, lease.Id, deadline.Token);
                lastRenewed = sent;
            }
            catch (OperationCanceledException) when (done.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"gz: lease {lease.Id} lost: no renewal was answered within its TTL ({lease.Ttl} s)");
                await lost.CancelAsync();
                return;
            }
            catch (GzException e) when (e.Status == 404 || Stopwatch.GetElapsedTime(lastRenewed) >= ttl)
            {
                await Console.Error.WriteLineAsync($"gz: lease {lease.Id} lost: {e.Message}");
                await lost.CancelAsync();
                return;
            }
            catch (GzException e)
            {
                await Console.Error.WriteLineAsync($"gz: keep-alive of lease {lease.Id} failed ({e.Message}); retrying");
            }
        }
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
