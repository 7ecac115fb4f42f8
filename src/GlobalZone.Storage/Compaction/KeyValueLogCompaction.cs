using System.Diagnostics;
using FASTER.core;

namespace GlobalZone.Storage.Compaction;

/// <summary>What compaction of the key/value log has done since the store opened.</summary>
/// <param name="Runs">Compaction runs finished (a run may span several checkpoints).</param>
/// <param name="BytesCompacted">Log bytes scanned and released (live records in them were copied to the tail).</param>
/// <param name="LastRunMs">Time the last run spent compacting (its steps, summed).</param>
/// <param name="SpanAfterLastRun">Bytes from the log's start to its tail after the last run.</param>
/// <param name="LiveBytesFound">Bytes of live records the last run copied forward (its estimate of the state's size).</param>
public sealed record KeyValueCompactionStats(long Runs, long BytesCompacted, double LastRunMs, long SpanAfterLastRun, long LiveBytesFound);

/// <summary>
/// Compaction of the key/value hybrid log. Overwrites and deletes of records that left the log's mutable in-memory
/// region append new records, so the log grows with every such write; compaction copies the live records of its
/// oldest part to the tail (FASTER's lookup compaction: a record is copied only if no newer one of its key exists)
/// and moves the log's start past them. The files wholly before the start are removed after the next checkpoint's
/// manifest is written (<see cref="HeldRemovalDevice"/>).
/// </summary>
/// <remarks>
/// <para>When: a run starts after a checkpoint once the log spans more than the minimum and more than twice the live
/// bytes the last run found (like a garbage collector's heap growth: the copying is paid for by the writes that made
/// the garbage, so it costs a bounded share of write throughput whatever the state's size).</para>
/// <para>How: in the single writer's own time, right after a checkpoint, while it writes nothing, in 32 MiB steps (one
/// FASTER <c>Compact</c> call each, never across a file's end), at most <see cref="StepsPerCheckpoint"/> steps per
/// checkpoint unless writes are outpacing it (the log spans one and a half times the threshold): then the run
/// finishes before the writer goes on (back-pressure, so the files stay bounded). Not beside writes: a first version
/// ran in the background beside the writer and once lost the newest version of a key (FASTER 2.6.5's lookup
/// compaction racing concurrent upserts; not reproduced since, and not worth the risk). Reads may run meanwhile
/// (see the read retry in <see cref="FasterKeyValueStore"/>). Not beside a scan of the whole store
/// (<see cref="FasterKeyValueStore.ScanAll()"/>): a record copied to the tail after the scan passed the tail, whose old
/// copy the scan then rejects as outdated, would be missed; a scan waits for the current step, and a step is not
/// started while a scan runs.</para>
/// </remarks>
internal sealed class KeyValueLogCompaction(FasterKV<SpanByte, SpanByte> store, long segmentBytes, long minimumBytes)
{
    /// <summary>Log bytes compacted in one step (one FASTER <c>Compact</c> call).</summary>
    private const long StepBytes = 32L << 20;

    /// <summary>Steps after one checkpoint, while compaction keeps up (64 MiB: tens of milliseconds of the writer's time).</summary>
    private const int StepsPerCheckpoint = 2;

    private readonly object gate = new();
    private readonly long minimum = minimumBytes;
    private int scans;
    private bool stepping;
    private long compactAbove = minimumBytes;

    /// <summary>The log address the current run set out to reach (0: no run going). Copies it makes land after it.</summary>
    private long runEnd;
    private long runCompacted;
    private long runCopied;
    private double runMs;
    private KeyValueCompactionStats stats = new(0, 0, 0, 0, 0);

    public KeyValueCompactionStats Stats => Volatile.Read(ref stats);

    /// <summary>Holds compaction off while a whole-store scan runs (waits for a step in progress first).</summary>
    public ScanHold EnterScan()
    {
        lock (gate)
        {
            while (stepping)
                Monitor.Wait(gate);
            scans++;
        }

        return new ScanHold(this);
    }

    /// <summary>
    /// Called by the single writer after a checkpoint, while it writes nothing: starts or continues a run when the
    /// log has grown enough, for a bounded number of steps (all of them when writes are outpacing compaction).
    /// </summary>
    public void RunSteps()
    {
        if (runEnd == 0)
        {
            if (store.Log.TailAddress - store.Log.BeginAddress <= compactAbove)
                return;
            runEnd = store.Log.TailAddress;
            runCompacted = runCopied = 0;
            runMs = 0;
        }

        var fallingBehind = store.Log.TailAddress - store.Log.BeginAddress > compactAbove + (compactAbove / 2);
        var functions = new StoredRecordFunctions();
        using var session = store.For(functions).NewSession<StoredRecordFunctions>();
        var started = Stopwatch.GetTimestamp();
        try
        {
            for (var step = 0; fallingBehind || step < StepsPerCheckpoint; step++)
            {
                lock (gate)
                {
                    if (scans > 0)
                        return; // a scan is running: the next checkpoint goes on
                    stepping = true;
                }

                try
                {
                    var begin = store.Log.BeginAddress;
                    var until = Math.Min(Math.Min(store.Log.SafeReadOnlyAddress, runEnd), Math.Min(begin + StepBytes, ((begin / segmentBytes) + 1) * segmentBytes));
                    var reached = until <= begin ? begin : session.Compact(until, CompactionType.Lookup);
                    runCompacted += reached - begin;
                    if (until <= begin || reached >= runEnd)
                    {
                        Finish(functions);
                        return;
                    }
                }
                finally
                {
                    lock (gate)
                    {
                        stepping = false;
                        Monitor.PulseAll(gate);
                    }
                }
            }
        }
        finally
        {
            runMs += Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            runCopied += runEnd == 0 ? 0 : functions.CompactionCopiedBytes;
        }
    }

    /// <summary>
    /// The log was just filled in bulk with what is (nearly all) live — a snapshot installed into a cleared store:
    /// counts everything from its start as live, so the next run comes once the log spans twice that. Without it the
    /// first checkpoint after a 1 GiB install found the log "falling behind" and copied the whole state to the tail
    /// again (3.9 s of the install, and twice the disk for a while) to free nothing.
    /// </summary>
    public void TreatAllAsLive()
    {
        runEnd = 0;
        runCopied = 0;
        compactAbove = Math.Max(minimum, 2 * (store.Log.TailAddress - store.Log.BeginAddress));
    }

    private void Finish(StoredRecordFunctions functions)
    {
        runCopied += functions.CompactionCopiedBytes;
        var span = store.Log.TailAddress - store.Log.BeginAddress;
        var previous = Volatile.Read(ref stats);
        Volatile.Write(ref stats, new KeyValueCompactionStats(previous.Runs + 1, previous.BytesCompacted + runCompacted, runMs, span, runCopied));
        // The live bytes found (copied) estimate the state's size: the next run comes when the log spans twice that.
        compactAbove = Math.Max(minimum, 2 * runCopied);
        runEnd = 0;
        runCopied = 0; // counted: the finally of RunSteps must not add this run's copies again
    }

    /// <summary>A whole-store scan in progress; dispose when it ends.</summary>
    public readonly struct ScanHold(KeyValueLogCompaction owner) : IDisposable
    {
        public void Dispose()
        {
            lock (owner.gate)
            {
                owner.scans--;
                Monitor.PulseAll(owner.gate);
            }
        }
    }
}
