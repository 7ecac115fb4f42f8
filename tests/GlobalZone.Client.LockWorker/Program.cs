// Usage: GlobalZone.Client.LockWorker <endpoints,comma,separated> <lock> <counter-key> <iterations>
// Takes the lock <iterations> times; under it, reads the counter and writes it + 1 (a plain read-modify-write, so
// that two holders at once would lose an increment). Prints one line per grant, "token <n>", then "done".
// A secured cluster: GZ_CACERT, GZ_USER and GZ_PASSWORD, as gz reads them.
using System.Globalization;
using GlobalZone.Client;

if (args.Length != 4 || !int.TryParse(args[3], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations))
{
    Console.Error.WriteLine("usage: GlobalZone.Client.LockWorker <endpoints> <lock> <counter-key> <iterations>");
    return 2;
}

var options = new GlobalZoneClientOptions
{
    Endpoints = [.. args[0].Split(',', StringSplitOptions.RemoveEmptyEntries)],
    LockLeaseTtl = TimeSpan.FromSeconds(10),
    Owner = $"lock-worker/{Environment.ProcessId}",
    CaCertificateFile = Environment.GetEnvironmentVariable("GZ_CACERT"),
    Username = Environment.GetEnvironmentVariable("GZ_USER"),
    Password = Environment.GetEnvironmentVariable("GZ_PASSWORD"),
};
await using var client = new GlobalZoneClient(options);
using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
for (var i = 0; i < iterations; i++)
{
    await using var handle = await client.Locks.AcquireAsync(args[1], TimeSpan.FromSeconds(60), deadline.Token);
    var value = await client.GetValueAsync<long>(args[2], cancellationToken: deadline.Token);
    await Task.Yield();
    await client.PutAsync(args[2], value + 1, cancellationToken: deadline.Token);
    Console.WriteLine(FormattableString.Invariant($"token {handle.FencingToken}"));
}

Console.WriteLine("done");
return 0;
