using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace GlobalZone.Consensus.Snapshots;

/// <summary>
/// Decides which snapshot DotNext sees (<see cref="ISnapshotManager.Snapshot"/>), and so how far its WAL is trimmed.
/// Normally the newest checkpoint; but while a member is fetching snapshot X, X stays published so that the WAL
/// keeps every entry after X and the member can continue from X once installed. A member asks for X at every
/// heartbeat while the file is written, fetched and installed, so the hold ends soon after it is done: when no member
/// has asked for X or read its file for <see cref="HoldIdle"/> (then the next member gets a newer checkpoint and a
/// shorter log tail), or after <see cref="HoldLimit"/> in any case (a member that cannot finish in that time would
/// otherwise keep the WAL growing for ever).
/// </summary>
public sealed class SnapshotPublisher(SnapshotFileStore files, string selfUrl, TimeProvider time, TimeSpan? holdIdle = null, TimeSpan? holdLimit = null)
{
    private readonly Lock sync = new();
    private readonly string baseUrl = selfUrl.TrimEnd('/');
    private DescriptorSnapshot? published;
    private (long Index, long Term) latest;
    private long lastDemand = long.MinValue;
    private long holdStarted;

    public TimeSpan HoldIdle { get; } = holdIdle ?? TimeSpan.FromSeconds(5);

    public TimeSpan HoldLimit { get; } = holdLimit ?? TimeSpan.FromMinutes(15);

    public SnapshotFileStore Files => files;

    /// <summary>What DotNext sees now (null before the first checkpoint).</summary>
    public ISnapshot? Current
    {
        get
        {
            lock (sync)
            {
                AdvanceUnlessHeld();
                return published;
            }
        }
    }

    /// <summary>True while the published snapshot is held back for a transfer.</summary>
    public bool Holding
    {
        get
        {
            lock (sync)
                return IsHeld();
        }
    }

    /// <summary>A checkpoint now holds <paramref name="index"/>.</summary>
    public void OnCheckpoint(long index, long term)
    {
        lock (sync)
        {
            if (index > latest.Index)
                latest = (index, term);
            AdvanceUnlessHeld();
        }
    }

    /// <summary>A snapshot received from the leader was installed: publish exactly it (DotNext takes its index as committed).</summary>
    public void OnInstalled(long index, long term)
    {
        lock (sync)
        {
            if (index > latest.Index)
                latest = (index, term);
            if (published is null || index > published.Index)
                published = new DescriptorSnapshot(this, index, term);
            lastDemand = long.MinValue;
        }
    }

    /// <summary>
    /// The descriptor DotNext sends for checkpoint (index, term). Starts writing the file on first need and holds the
    /// published snapshot while members ask for it.
    /// </summary>
    internal SnapshotDescriptor Describe(long index, long term)
    {
        NoteDemand();
        if (files.TryGetReady(index, term) is { } file)
        {
            return new SnapshotDescriptor
            {
                Ready = true,
                SnapshotId = file.Id,
                Index = index,
                Term = term,
                ReflectedIndex = file.ReflectedIndex,
                Size = file.Size,
                Sha256 = file.Sha256,
                Url = UrlOf(file.Id),
                FileFormat = SnapshotFile.CurrentVersion,
            };
        }

        // Being written: the member may fetch it as it grows (and, if new, install it as it arrives).
        if (files.TryGetProducing(index, term) is { } growing)
            return new SnapshotDescriptor { Ready = false, SnapshotId = growing.Id, Index = index, Term = term, Url = UrlOf(growing.Id), FileFormat = SnapshotFile.CurrentVersion };
        files.EnsureProducing(index, term);
        return new SnapshotDescriptor { Ready = false, Index = index, Term = term };
    }

    private string UrlOf(string id) => $"{baseUrl}{InternalRoutes.Snapshots}/{id}";

    /// <summary>A member asked for the published snapshot or read part of its file.</summary>
    public void NoteDemand()
    {
        lock (sync)
        {
            var now = time.GetTimestamp();
            if (!IsHeld())
                holdStarted = now;
            lastDemand = now;
        }
    }

    private bool IsHeld()
    {
        if (lastDemand == long.MinValue)
            return false;
        var active = files.ActiveReaders > 0 || time.GetElapsedTime(lastDemand) < HoldIdle;
        return active && time.GetElapsedTime(holdStarted) < HoldLimit;
    }

    private void AdvanceUnlessHeld()
    {
        if (latest.Index == 0 || (published is not null && published.Index >= latest.Index))
            return;
        if (published is not null && IsHeld())
            return;
        published = new DescriptorSnapshot(this, latest.Index, latest.Term);
    }
}
