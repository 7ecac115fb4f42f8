using System.Runtime.InteropServices;
using GlobalZone.Consensus;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// The host's lifetime, in place of the console lifetime: on SIGTERM, SIGINT or SIGQUIT it first lets a leader hand
/// leadership over (<see cref="ShutdownHandOff"/>, bounded) while everything still runs, and only then stops the
/// application. The console lifetime would stop it at once, and DotNext's Raft member stops answering peers as soon
/// as the application is stopping, which leaves no way to hand over. A second signal during the hand-off is ignored
/// (the hand-off is bounded by a few election timeouts). From the signal on, clients are sent elsewhere (<see cref="MemberDrain"/>).
/// </summary>
internal sealed partial class HandOffFirstLifetime(IHostApplicationLifetime application, ShutdownHandOff handOff, MemberDrain drain, NodeOptions options,
    ILogger<HandOffFirstLifetime> logger)
    : IHostLifetime, IDisposable
{
    private PosixSignalRegistration[] registrations = [];
    private int stopping;

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal),
        ];
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // this lifetime stops the application itself
        if (Interlocked.Exchange(ref stopping, 1) != 0)
            return;
        LogSignal(context.Signal);
        // Clients are turned away from here on (503 member-stopping), while the hand-off still runs.
        drain.Begin();
        _ = Task.Run(async () =>
        {
            try
            {
                if (options.Testing.StopDelayMs > 0)
                    await Task.Delay(options.Testing.StopDelayMs).ConfigureAwait(false);
                await handOff.RunAsync(application.ApplicationStopping).ConfigureAwait(false);
            }
            finally
            {
                application.StopApplication();
            }
        });
    }

    public void Dispose()
    {
        foreach (var registration in registrations)
            registration.Dispose();
    }

    [LoggerMessage(EventId = 1375, Level = LogLevel.Information, Message = "{Signal} received: stopping (a leader hands over first)")]
    private partial void LogSignal(PosixSignal signal);
}
