using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GlobalZone.Client;

/// <summary>
/// A hosted service that does its work only while this process leads an election: it campaigns, runs
/// <see cref="RunAsLeaderAsync"/> once elected, cancels it the moment leadership is lost, resigns when the work ends,
/// and campaigns again. On host shutdown it stops the work (or the campaign) and resigns, so the next candidate
/// takes over at once instead of after a lease TTL.
/// </summary>
public abstract partial class GlobalZoneLeaderService : BackgroundService
{
    private readonly GlobalZoneClient client;
    private readonly LeaderElectionOptions options;
    private readonly ILogger logger;

    /// <summary>Campaigns in <paramref name="electionName"/> through <paramref name="client"/>.</summary>
    protected GlobalZoneLeaderService(GlobalZoneClient client, string electionName, LeaderElectionOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        this.client = client;
        Election = new GlobalZoneElection(client, electionName);
        this.options = options ?? new LeaderElectionOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(this.options.RecampaignDelay, TimeSpan.Zero);
        this.logger = logger ?? client.Logger ?? NullLogger.Instance;
    }

    /// <summary>The election this service campaigns in.</summary>
    public GlobalZoneElection Election { get; }

    /// <summary>The current term, while this process leads (null otherwise).</summary>
    public GlobalZoneLeadership? Leadership { get; private set; }

    /// <summary>
    /// The work to do while elected. <paramref name="cancellationToken"/> fires when leadership is lost or the host
    /// stops; fence external effects with <see cref="GlobalZoneLeadership.FencingToken"/>. Returning (or throwing)
    /// ends the term: the service resigns and campaigns again after <see cref="LeaderElectionOptions.RecampaignDelay"/>.
    /// </summary>
    protected abstract Task RunAsLeaderAsync(GlobalZoneLeadership leadership, CancellationToken cancellationToken);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            GlobalZoneLeadership leadership;
            try
            {
                leadership = await Election.CampaignAsync(options.Candidate, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (GlobalZoneException e)
            {
                LogCampaignFailed(logger, Election.Name, e.Message);
                await PauseAsync(stoppingToken).ConfigureAwait(false);
                continue;
            }

            await ServeTermAsync(leadership, stoppingToken).ConfigureAwait(false);
            await PauseAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task ServeTermAsync(GlobalZoneLeadership leadership, CancellationToken stoppingToken)
    {
        LogElected(logger, Election.Name, leadership.FencingToken, leadership.Candidate);
        Leadership = leadership;
        await using (leadership.ConfigureAwait(false))
        {
            using var term = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, leadership.LostToken);
            try
            {
                await RunAsLeaderAsync(leadership, term.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (term.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                // The work failed: give the office to the next candidate rather than keep it idle.
                LogWorkFailed(logger, e, Election.Name, leadership.FencingToken);
            }
            finally
            {
                Leadership = null;
            }

            if (leadership.IsLost)
                LogTermLost(logger, Election.Name, leadership.FencingToken);
        }
    }

    private async Task PauseAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(options.RecampaignDelay, client.Time, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 6511, Level = LogLevel.Information, Message = "Election {Election}: elected with token {FencingToken} as {Candidate}")]
    private static partial void LogElected(ILogger logger, string election, long fencingToken, string candidate);

    [LoggerMessage(EventId = 6512, Level = LogLevel.Warning, Message = "Election {Election}: leadership with token {FencingToken} lost; the work was cancelled, campaigning again")]
    private static partial void LogTermLost(ILogger logger, string election, long fencingToken);

    [LoggerMessage(EventId = 6513, Level = LogLevel.Error, Message = "Election {Election}: the leader's work failed (token {FencingToken}); resigned, campaigning again")]
    private static partial void LogWorkFailed(ILogger logger, Exception error, string election, long fencingToken);

    [LoggerMessage(EventId = 6514, Level = LogLevel.Warning, Message = "Election {Election}: campaign failed ({Reason}); trying again")]
    private static partial void LogCampaignFailed(ILogger logger, string election, string reason);
}
