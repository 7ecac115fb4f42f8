using System.Diagnostics;

namespace GlobalZone.ClusterRunner;

/// <summary>
/// Real partitions between members on one machine: iptables DROP rules between members' loopback addresses
/// (see <see cref="ClusterLayout.Parse"/> with distinct addresses), kept in a chain of their own that is hooked
/// into INPUT while this object lives, so nothing else on the machine is touched. Needs root and iptables.
/// </summary>
public sealed class NetworkPartitioner : IDisposable
{
    private readonly string chain;
    private readonly HashSet<(string From, string To)> cuts = new();
    private bool disposed;

    public NetworkPartitioner()
    {
        if (!IsAvailable(out var reason))
            throw new InvalidOperationException(reason);
        chain = "GZ-" + Guid.NewGuid().ToString("N")[..12];
        Run("-N", chain);
        Run("-I", "INPUT", "-j", chain);
    }

    /// <summary>True when this process can change iptables rules (root, iptables on the PATH).</summary>
    public static bool IsAvailable(out string reason)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            reason = "Partitions need root on Linux (iptables rules between members' loopback addresses).";
            return false;
        }

        try
        {
            using var probe = Process.Start(new ProcessStartInfo("iptables", "-w -S INPUT") { RedirectStandardOutput = true, RedirectStandardError = true });
            probe!.WaitForExit();
            reason = probe.ExitCode == 0 ? "" : "iptables is present but cannot list rules: " + probe.StandardError.ReadToEnd();
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            reason = "iptables is not installed (apt-get install iptables).";
            return false;
        }
    }

    /// <summary>Packets from members in one group no longer reach members of another (both directions).</summary>
    public void Partition(params IEnumerable<MemberSpec>[] groups)
    {
        for (var i = 0; i < groups.Length; i++)
        {
            for (var j = 0; j < groups.Length; j++)
            {
                if (i == j)
                    continue;
                foreach (var a in groups[i])
                {
                    foreach (var b in groups[j])
                        CutOneWay(a.Host, b.Host);
                }
            }
        }
    }

    /// <summary>Cuts the link between two members, both directions.</summary>
    public void Cut(MemberSpec a, MemberSpec b)
    {
        CutOneWay(a.Host, b.Host);
        CutOneWay(b.Host, a.Host);
    }

    /// <summary>Cuts one member off from every other member of the list.</summary>
    public void Isolate(MemberSpec member, IEnumerable<MemberSpec> everyone)
        => Partition([member], everyone.Where(m => m.Id != member.Id));

    /// <summary>Removes every cut made by this partitioner.</summary>
    public void HealAll()
    {
        Run("-F", chain);
        cuts.Clear();
    }

    private void CutOneWay(string from, string to)
    {
        if (from == to)
            throw new InvalidOperationException($"Members share the address {from}; start the cluster with distinct addresses to partition it.");
        if (cuts.Add((from, to)))
            Run("-A", chain, "-s", from, "-d", to, "-j", "DROP");
    }

    private static void Run(params string[] arguments)
    {
        var info = new ProcessStartInfo("iptables") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("-w");
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"iptables {string.Join(' ', arguments)} failed: {error}");
    }

    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        Run("-D", "INPUT", "-j", chain);
        Run("-F", chain);
        Run("-X", chain);
    }
}
