using System.CommandLine;
using GlobalZone.Cli.Commands;

var root = new RootCommand("gz: run and operate GlobalZone clusters")
{
    LocalClusterCommand.Create(),
};

// Ctrl-C cancels the running command's token; give it time to stop members cleanly instead of exiting at once.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) };
return await root.Parse(args).InvokeAsync(invocation);
