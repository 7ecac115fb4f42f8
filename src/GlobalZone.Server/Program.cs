using GlobalZone.Server.Hosting;

// FASTER completes device I/O on thread-pool threads while some of its callers wait synchronously for that I/O
// (CompletePending(wait: true)); on a busy 2-core machine the pool's slow growth (about one thread per half second)
// could hold a Raft log commit long enough for an election. A floor of threads removes that stall.
ThreadPool.GetMinThreads(out var workers, out var completionPorts);
ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(completionPorts, 64));

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
