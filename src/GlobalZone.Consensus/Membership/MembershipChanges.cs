using System.Net.Http.Json;
using System.Text.Json;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Http;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GlobalZone.Consensus;

/// <summary>Why a membership change was refused; the API maps each to a status.</summary>
public enum MembershipRefusal
{
    /// <summary>This member does not lead; <see cref="MembershipChangeException.LeaderUrl"/> says who does.</summary>
    NotLeader,

    /// <summary>The change contradicts the current membership (duplicate id or URL, removing the leader, the last voter).</summary>
    Conflict,

    /// <summary>No member has that id.</summary>
    NotFound,

    /// <summary>The member to add cannot be reached, is not who the request says, or did not catch up.</summary>
    Unavailable,
}

public sealed class MembershipChangeException(MembershipRefusal refusal, string message, string? leaderUrl = null, Exception? inner = null)
    : Exception(message, inner)
{
    public MembershipRefusal Refusal { get; } = refusal;

    public string? LeaderUrl { get; } = leaderUrl;
}

/// <summary>
/// Adds and removes members on the leader, one change at a time, through DotNext's membership protocol: a new
/// member is first caught up (snapshot and log), then a configuration entry is committed; removal commits a
/// configuration without the member. Before adding, the new member is asked who it is (id, site, role, cluster
/// name), and that description is committed so every member can name it.
/// </summary>
public sealed partial class MembershipChanges(GlobalZoneCluster cluster, NodeOptions options, IServiceProvider services, ILogger<MembershipChanges> logger)
{
    private readonly TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;
    private readonly SemaphoreSlim oneAtATime = new(1, 1);

    /// <summary>
    /// The id of the member this leader is catching up, while it does: it is not in the configuration yet but fetches
    /// the snapshot from here, so mutual TLS lets it in (see the host's peer authentication).
    /// </summary>
    public string? Joining { get; private set; }

    /// <summary>Adds the member serving at <paramref name="url"/>; <paramref name="expected"/> fields, when given, must match what it reports.</summary>
    public async Task<MemberOptions> AddAsync(string url, MemberOptions expected, CancellationToken token)
    {
        var authority = Normalize(url);
        await EnterAsync(token).ConfigureAwait(false);
        try
        {
            RequireLeader();
            var current = cluster.Directory.Members;
            if (current.Any(m => string.Equals(Normalize(m.Url), authority, StringComparison.OrdinalIgnoreCase)))
                throw new MembershipChangeException(MembershipRefusal.Conflict, $"{authority} is already a member.");

            var reported = await AskIdentityAsync(authority, token).ConfigureAwait(false);
            Check(expected.Id, reported.Id, "id");
            Check(expected.Site, reported.Site, "site");
            Check(expected.Role, reported.Role, "role");
            if (current.Any(m => m.Id == reported.Id))
                throw new MembershipChangeException(MembershipRefusal.Conflict,
                    $"A member named '{reported.Id}' is already in the group; remove it first (one change at a time).");

            LogAdding(reported.Id, reported.Site, reported.Role, authority);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            // Founding members are described only in configuration files; a joining member's file may not list them
            // all, so the group records them too before it grows.
            foreach (var founder in current.Where(m => m.Site.Length > 0 && !cluster.State.MemberDescriptions.ContainsKey(Normalize(m.Url))))
                await cluster.ProposeAsync(new MemberDescribeCommand(new MemberDescription(founder.Id, Normalize(founder.Url), founder.Site, founder.Role)), token).ConfigureAwait(false);
            var described = await cluster.ProposeAsync(
                new MemberDescribeCommand(new MemberDescription(reported.Id, authority, reported.Site, reported.Role)), token).ConfigureAwait(false);
            if (described.Status != CommandStatus.Applied)
                throw new MembershipChangeException(MembershipRefusal.Conflict, described.Error ?? "The description was refused.");

            Joining = reported.Id;
            try
            {
                await CatchUpAndAddAsync(reported.Id, authority, token).ConfigureAwait(false);
            }
            finally
            {
                Joining = null;
            }

            await UntilMembershipShowsAsync(authority, present: true, token).ConfigureAwait(false);
            LogAdded(reported.Id, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return reported with { Url = authority };
        }
        finally
        {
            oneAtATime.Release();
        }
    }

    /// <summary>
    /// The newcomer follows as a non-voter (DotNext's catch-up phase replicates to it without counting it) until it
    /// holds what was committed when the attempt started; only then is the configuration with it committed. DotNext
    /// gives each attempt <c>warmupRounds</c> rounds; while the newcomer keeps moving (see <see cref="CatchUpProgress"/>)
    /// another attempt follows, so a busy group or a large state only makes the join longer.
    /// </summary>
    private async Task CatchUpAndAddAsync(string id, string authority, CancellationToken token)
    {
        var progress = new CatchUpProgress(time, TimeSpan.FromSeconds(options.JoinStallSeconds));
        var lastReport = time.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            bool added;
            try
            {
                added = await Http.AddMemberAsync(new Uri(authority), token).ConfigureAwait(false);
            }
            catch (NotLeaderException e)
            {
                throw new MembershipChangeException(MembershipRefusal.NotLeader, "Leadership was lost during the change; check the membership and retry.", cluster.Leader?.Url, e);
            }

            if (added)
                return;
            RequireLeader();
            var status = await AskProgressAsync(authority, token).ConfigureAwait(false);
            var applied = status?.AppliedIndex;
            var received = status?.SnapshotTransfer?.ReceivedBytes;
            if (progress.Observe(applied, received, cluster.StateMachine.SnapshotFiles.IsProducing))
                throw new MembershipChangeException(MembershipRefusal.Unavailable,
                    $"{id} made no progress catching up for {progress.StallLimit.TotalSeconds:F0} s (applied index {applied?.ToString() ?? "unknown"}, "
                    + $"leader commit index {cluster.Raft.AuditTrail.LastCommittedEntryIndex}); nothing was changed.");
            if (time.GetElapsedTime(lastReport) > CatchUpReportEvery)
            {
                lastReport = time.GetTimestamp();
                LogCatchingUp(id, attempt, applied ?? -1, cluster.Raft.AuditTrail.LastCommittedEntryIndex, received ?? 0, status?.SnapshotTransfer?.TotalBytes ?? 0);
            }

            await Task.Delay(CatchUpPoll, time, token).ConfigureAwait(false);
        }
    }

    /// <summary>The newcomer's own status (null when it does not answer in time).</summary>
    private async Task<Contracts.ClusterStatus?> AskProgressAsync(string authority, CancellationToken token)
    {
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(PeerConnections.ClientName);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(ProgressAnswerTimeout);
        try
        {
            return await client.GetFromJsonAsync(authority + "/v1/cluster", Contracts.ContractsJsonContext.Default.ClusterStatus, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException or NotSupportedException && !token.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Removes the member named <paramref name="id"/> (which may be down).</summary>
    public async Task<MemberOptions> RemoveAsync(string id, CancellationToken token)
    {
        await EnterAsync(token).ConfigureAwait(false);
        try
        {
            RequireLeader();
            var current = cluster.Directory.Members;
            var member = current.FirstOrDefault(m => m.Id == id)
                ?? throw new MembershipChangeException(MembershipRefusal.NotFound, $"No member is named '{id}'.");
            if (member.Id == cluster.Directory.Self.Id)
                throw new MembershipChangeException(MembershipRefusal.Conflict,
                    $"'{id}' is the leader; move leadership first (gz leader transfer --to ...), then remove it.");
            if (!member.IsWitness && current.Count(m => !m.IsWitness) <= 1)
                throw new MembershipChangeException(MembershipRefusal.Conflict, $"'{id}' is the last voter.");

            LogRemoving(member.Id, member.Site);
            bool removed;
            try
            {
                removed = await Http.RemoveMemberAsync(new Uri(Normalize(member.Url)), token).ConfigureAwait(false);
            }
            catch (NotLeaderException e)
            {
                throw new MembershipChangeException(MembershipRefusal.NotLeader, "Leadership was lost during the change; check the membership and retry.", cluster.Leader?.Url, e);
            }

            if (!removed)
                throw new MembershipChangeException(MembershipRefusal.Conflict, $"'{id}' was not removed (no longer a member?).");
            await UntilMembershipShowsAsync(Normalize(member.Url), present: false, token).ConfigureAwait(false);
            LogRemoved(member.Id);
            return member;
        }
        finally
        {
            oneAtATime.Release();
        }
    }

    /// <summary>
    /// DotNext applies a committed configuration to its member list on a loop of its own, a moment after the commit;
    /// answer once the list shows it, so that what the caller reads next agrees.
    /// </summary>
    private async Task UntilMembershipShowsAsync(string authority, bool present, CancellationToken token)
    {
        var started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < MembershipListWait
               && cluster.Directory.Members.Any(m => string.Equals(Normalize(m.Url), authority, StringComparison.OrdinalIgnoreCase)) != present)
            await Task.Delay(MembershipListPoll, time, token).ConfigureAwait(false);
    }

    // How long, and how often, to look for a committed change in DotNext's member list.
    private static readonly TimeSpan MembershipListWait = TimeSpan.FromSeconds(5);

    /// <summary>How often a newcomer's catch-up is looked at, and logged, while it catches up.</summary>
    private static readonly TimeSpan CatchUpPoll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan CatchUpReportEvery = TimeSpan.FromSeconds(5);

    /// <summary>A newcomer that does not answer its status in this long counts as making no progress this round.</summary>
    private static readonly TimeSpan ProgressAnswerTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long the newcomer has to say who it is before the change is refused (it may still be starting).</summary>
    private static readonly TimeSpan IdentityAnswerTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MembershipListPoll = TimeSpan.FromMilliseconds(10);

    private IRaftHttpCluster Http => (IRaftHttpCluster)cluster.Raft;

    private async Task EnterAsync(CancellationToken token)
    {
        if (!await oneAtATime.WaitAsync(TimeSpan.Zero, token).ConfigureAwait(false))
            throw new MembershipChangeException(MembershipRefusal.Conflict, "Another membership change is in progress; one change at a time.");
    }

    private void RequireLeader()
    {
        if (!cluster.IsLeader)
            throw new MembershipChangeException(MembershipRefusal.NotLeader, "Membership changes are made on the leader.", cluster.Leader?.Url);
    }

    private static void Check(string? expected, string reported, string field)
    {
        if (!string.IsNullOrEmpty(expected) && !string.Equals(expected, reported, StringComparison.OrdinalIgnoreCase))
            throw new MembershipChangeException(MembershipRefusal.Conflict, $"The member reports {field} '{reported}', not '{expected}'.");
    }

    /// <summary>Asks the new member who it is, over the member-to-member client (so partitions and WAN apply).</summary>
    private async Task<MemberOptions> AskIdentityAsync(string authority, CancellationToken token)
    {
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(PeerConnections.ClientName);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(IdentityAnswerTimeout);
        Contracts.ClusterStatus? status;
        try
        {
            status = await client.GetFromJsonAsync(authority + "/v1/cluster", Contracts.ContractsJsonContext.Default.ClusterStatus, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException or NotSupportedException && !token.IsCancellationRequested)
        {
            throw new MembershipChangeException(MembershipRefusal.Unavailable, $"{authority} did not answer GET /v1/cluster: {e.GetBaseException().Message}", inner: e);
        }

        if (status is null)
            throw new MembershipChangeException(MembershipRefusal.Unavailable, $"{authority} did not say who it is.");
        if (!string.Equals(status.ClusterName, options.ClusterName, StringComparison.Ordinal))
            throw new MembershipChangeException(MembershipRefusal.Conflict,
                $"{authority} belongs to cluster '{status.ClusterName}', not '{options.ClusterName}'.");
        var reported = new MemberOptions { Id = status.MemberId ?? "", Url = authority, Site = status.Site ?? "", Role = status.Role ?? "" };
        if (reported.Id.Length == 0 || reported.Site.Length == 0)
            throw new MembershipChangeException(MembershipRefusal.Unavailable, $"{authority} did not say who it is.");
        return reported;
    }

    private static string Normalize(string url)
        => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri.GetLeftPart(UriPartial.Authority)
            : throw new MembershipChangeException(MembershipRefusal.Conflict, $"'{url}' is not an absolute http(s) URL.");

    [LoggerMessage(EventId = 1220, Level = LogLevel.Information, Message = "Adding member {NewMemberId} ({NewMemberSite}, {NewMemberRole}) at {NewMemberUrl}: catching it up")]
    private partial void LogAdding(string newMemberId, string newMemberSite, string newMemberRole, string newMemberUrl);

    [LoggerMessage(EventId = 1221, Level = LogLevel.Information, Message = "Member {NewMemberId} added in {ElapsedMs:F0} ms")]
    private partial void LogAdded(string newMemberId, double elapsedMs);

    [LoggerMessage(EventId = 1224, Level = LogLevel.Information, Message = "Catching up {NewMemberId} (attempt {Attempt}): applied index {AppliedIndex} of commit index {CommitIndex}, snapshot {ReceivedBytes} of {TotalBytes} bytes")]
    private partial void LogCatchingUp(string newMemberId, int attempt, long appliedIndex, long commitIndex, long receivedBytes, long totalBytes);

    [LoggerMessage(EventId = 1222, Level = LogLevel.Information, Message = "Removing member {OldMemberId} of site {OldMemberSite}")]
    private partial void LogRemoving(string oldMemberId, string oldMemberSite);

    [LoggerMessage(EventId = 1223, Level = LogLevel.Information, Message = "Member {OldMemberId} removed")]
    private partial void LogRemoved(string oldMemberId);
}
