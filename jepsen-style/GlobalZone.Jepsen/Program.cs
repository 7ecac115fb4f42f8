using System.CommandLine;
using GlobalZone.Jepsen.Commands;

var root = new RootCommand("gz-jepsen: partition-testing harness for GlobalZone (real clusters, faults, checked histories)")
{
    RunCommand.Create(),
    CheckCommand.Create(),
    ListCommand.Create(),
};

// Ctrl-C cancels the run's token; give it time to heal the network and kill the members it started.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) };
return await root.Parse(args).InvokeAsync(invocation);
