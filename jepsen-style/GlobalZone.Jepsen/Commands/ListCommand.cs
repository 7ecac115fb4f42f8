using System.CommandLine;
using GlobalZone.Jepsen.Failpoint;
using GlobalZone.Jepsen.Scenarios;
using GlobalZone.Jepsen.Traffic;

namespace GlobalZone.Jepsen.Commands;

/// <summary><c>gz-jepsen list</c>: the workloads, nemeses and scenarios this harness knows.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var command = new Command("list", "List workloads, nemeses and scenarios");
        command.SetAction(_ =>
        {
            Console.WriteLine("Workloads (--workload):");
            foreach (var (name, description) in WorkloadCatalog.All)
                Console.WriteLine($"  {name,-28} {description}");
            Console.WriteLine();
            Console.WriteLine("Nemeses (--nemesis; a,b takes turns, a+b strikes together, 'all', 'none'):");
            foreach (var (name, description) in NemesisCatalog.All)
                Console.WriteLine($"  {name,-28} {description}");
            Console.WriteLine();
            Console.WriteLine("Scenarios (--scenario):");
            foreach (var (name, description) in ScenarioCatalog.All)
                Console.WriteLine($"  {name,-28} {description}");
            return 0;
        });
        return command;
    }
}
