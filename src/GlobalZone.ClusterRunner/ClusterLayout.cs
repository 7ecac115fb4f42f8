using System.Net;
using System.Net.Sockets;

namespace GlobalZone.ClusterRunner;

/// <summary>
/// Who is in a local cluster. Written as voters per site, e.g. <c>2+2+1</c>: two voters in dc1, two in dc2,
/// and the last site's single member is the witness (dc3).
/// </summary>
public sealed record ClusterLayout(IReadOnlyList<MemberSpec> Members)
{
    /// <summary>
    /// Parses <c>A+B+W</c> (W must be 1 or 0: the witness site) and assigns ports from <paramref name="basePort"/>,
    /// or free ports when 0. With <paramref name="distinctAddresses"/> every member gets its own loopback address
    /// in a block picked at random for this cluster (so concurrent clusters never share addresses).
    /// </summary>
    public static ClusterLayout Parse(string layout, int basePort = 0, bool distinctAddresses = false)
    {
        var block = distinctAddresses ? $"127.{Random.Shared.Next(100, 250)}.{Random.Shared.Next(1, 250)}." : null;
        var ordinal = 0;
        string NextHost() => block is null ? "127.0.0.1" : block + (++ordinal + 10);
        var counts = layout.Split('+', StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        if (counts.Length is < 2 or > 3 || counts[0] < 1 || counts[1] < 0 || (counts.Length == 3 && counts[2] is not (0 or 1)))
            throw new ArgumentException("Layout is VOTERS_DC1+VOTERS_DC2[+WITNESS], e.g. 2+2+1, 1+1+1 or 1+0 (a single member).", nameof(layout));
        var members = new List<MemberSpec>();
        var port = basePort;
        for (var site = 0; site < 2; site++)
        {
            for (var i = 0; i < counts[site]; i++)
            {
                var host = NextHost();
                members.Add(new MemberSpec($"dc{site + 1}-{(char)('a' + i)}", $"dc{site + 1}", "voter", basePort > 0 ? port++ : FreePort(host), host));
            }
        }

        if (counts.Length == 3 && counts[2] == 1)
        {
            var host = NextHost();
            members.Add(new MemberSpec("dc3-w", "dc3", "witness", basePort > 0 ? port : FreePort(host), host));
        }
        return new ClusterLayout(members);
    }

    /// <summary>Ports this process has handed out: a member may not be listening on its port yet (not started, or
    /// stopped for a while), so "nobody listens" alone once gave two members of one layout the same port.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Host, int Port), byte> HandedOut = new();

    /// <summary>
    /// A port nobody listens on right now at <paramref name="host"/> and that this process has not handed out before.
    /// Picked below the kernel's ephemeral range: a port the OS hands out for port 0 can be taken a moment later as the
    /// source port of some outgoing connection, and then the member cannot bind it.
    /// </summary>
    public static int FreePort(string host = "127.0.0.1")
    {
        var (ephemeralLow, _) = EphemeralRange();
        var low = 20_000;
        var high = Math.Max(low + 1000, ephemeralLow);
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(low, high);
            if (HandedOut.ContainsKey((host, port)))
                continue;
            try
            {
                using var listener = new TcpListener(IPAddress.Parse(host), port);
                listener.Start();
                if (HandedOut.TryAdd((host, port), 0))
                    return port;
            }
            catch (SocketException)
            {
                // taken; try another
            }
        }

        throw new InvalidOperationException($"No free port found on {host} between {low} and {high}.");
    }

    private static (int Low, int High) EphemeralRange()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return (32768, 60999);
        }
    }
}
