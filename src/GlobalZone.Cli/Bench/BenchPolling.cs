using System.Diagnostics;
using System.Globalization;
using GlobalZone.Cli.Http;

namespace GlobalZone.Cli.Bench;

/// <summary>What the scale benchmarks share: polling a condition with a deadline, and a process's resident memory.</summary>
internal static class BenchPolling
{
    /// <summary>Polls <paramref name="condition"/> every <paramref name="interval"/> (200 ms) until true; fails after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken token, TimeSpan? interval = null)
    {
        var started = Stopwatch.GetTimestamp();
        while (!await condition().ConfigureAwait(false))
        {
            if (Stopwatch.GetElapsedTime(started) > timeout)
                throw new GzException($"gave up after {timeout.TotalSeconds:F0} s");
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(200), token).ConfigureAwait(false);
        }
    }

    /// <summary>VmRSS from /proc (Linux), in bytes; 0 where it cannot be read.</summary>
    public static long ResidentBytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
