using System.CommandLine;
using GlobalZone.Cli;
using GlobalZone.Cli.Commands;
using GlobalZone.Cli.Http;

var root = new RootCommand("gz: run and operate GlobalZone clusters (members from --endpoints or GZ_ENDPOINTS)")
{
    CliOptions.Endpoints,
    GzTls.CaCert,
    GzTls.Cert,
    GzTls.Key,
    CliAuth.User,
    LocalClusterCommand.Create(),
    StatusCommand.Create(),
    KeyValueCommands.Create(),
    LeaseCommands.Create(),
    LockCommand.Create(),
    SemaphoreCommand.Create(),
    ElectCommand.Create(),
    LeaderCommands.Create(),
    MemberCommands.Create(),
    BenchCommand.Create(),
    BackupCommands.Create(),
    HealthCommand.Create(),
    TlsCommands.Create(),
    UserCommands.Create(),
    RoleCommands.Create(),
    AuthCommands.Create(),
};

// Ctrl-C cancels the running command's token; give it time to stop members cleanly instead of exiting at once.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) };
var parsed = root.Parse(args);
GzTls.Configure(parsed);
return await parsed.InvokeAsync(invocation);
