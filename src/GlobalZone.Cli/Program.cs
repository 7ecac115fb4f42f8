using System.CommandLine;
using GlobalZone.Cli;
using GlobalZone.Cli.Commands;

var root = new RootCommand("gz: run and operate GlobalZone clusters (members from --endpoints or GZ_ENDPOINTS)")
{
    CliOptions.Endpoints,
    CliAuth.User,
    LocalClusterCommand.Create(),
    StatusCommand.Create(),
    KeyValueCommands.Create(),
    LeaseCommands.Create(),
    LockCommand.Create(),
    LeaderCommands.Create(),
    MemberCommands.Create(),
    BenchCommand.Create(),
    BackupCommands.Create(),
    HealthCommand.Create(),
    UserCommands.Create(),
    RoleCommands.Create(),
    AuthCommands.Create(),
};

// Ctrl-C cancels the running command's token; give it time to stop members cleanly instead of exiting at once.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) };
return await root.Parse(args).InvokeAsync(invocation);
