using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>
/// Takes a member whose applier stopped out of leadership: it enters standby (never campaigns again until restarted)
/// and, if it leads, steps down so a member that can apply takes over. It keeps voting: its log is intact, and a vote
/// only compares logs.
/// </summary>
internal sealed partial class ApplyFaultResponder(ApplyHealth health, IServiceProvider services, ILogger<ApplyFaultResponder> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        health.Faulted += OnFaulted;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        health.Faulted -= OnFaulted;
        return Task.CompletedTask;
    }

    private void OnFaulted(ApplyFault fault) => _ = StandAsideAsync(fault);

    private async Task StandAsideAsync(ApplyFault fault)
    {
        try
        {
            await services.GetRequiredService<IStandbyModeSupport>().EnableStandbyModeAsync(CancellationToken.None).ConfigureAwait(false);
            var raft = services.GetRequiredService<IRaftCluster>();
            if (raft.Leader is { IsRemote: false })
                await raft.ResignAsync(CancellationToken.None).ConfigureAwait(false);
            LogStoodAside(fault.Index);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogStandAsideFailed(e, fault.Index);
        }
    }

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Applier stopped at index {Index}: this member is in standby for good (no campaigns, leadership given up) until restarted")]
    private partial void LogStoodAside(long index);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Error, Message = "Applier stopped at index {Index}, and stepping aside failed")]
    private partial void LogStandAsideFailed(Exception error, long index);
}
