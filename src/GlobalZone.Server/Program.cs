using GlobalZone.Server.Hosting;

await using var app = NodeHost.Build(args);
await app.RunAsync();
