using GlobalZone.Server.Hosting;

// FASTER completes device I/O on thread-pool threads while some of its callers wait synchronously for that I/O
// (CompletePending(wait: true)); on a busy 2-core machine the pool's slow growth (about one thread per half second)
// then held a Raft log commit for a second or more, long enough for an election. A floor of threads removes the stall.
ThreadPool.GetMinThreads(out var workers, out var completionPorts);
ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(completionPorts, 64));

await using var app = NodeHost.Build(args);
await app.RunAsync();
