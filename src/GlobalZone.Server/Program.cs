using GlobalZone.Server.Hosting;

WebApplication app;
try
{
    app = NodeHost.Build(args);
}
catch (StartupRefusal)
{
    // Already logged as one line naming the file and the remedy.
    return StartupRefusal.ExitCode;
}

await using (app)
    await app.RunAsync();
return 0;
