using System.Diagnostics;
using FASTER.core;

namespace GlobalZone.Storage.Compaction;

/// <summary>What compaction of the key/value log has done since the store opened.</summary>
/// <param name="Runs">Compaction runs finished.</param>
/// <param name="BytesCompacted">Log bytes scanned and released (live records in them were copied to the tail).</param>
/// <param name="LastRunMs">Duration of the last run.</param>
/// <param name="SpanAfterLastRun">Bytes from the log's start to its tail after the last run (an upper bound of the live state).</param>
public sealed record KeyValueCompactionStats(long Runs, long BytesCompacted, double LastRunMs, long SpanAfterLastRun);

/// <summary>
/// Compaction of the key/value hybrid log. Overwrites and deletes of records that left the log's mutable in-memory
/// region append new records, so the log grows with every such write; compaction copies the live records of its
/// oldest part to the tail (FASTER's lookup compaction: a record is copied only if no newer one of its key exists)
/// and moves the log's start past them. The files wholly before the start are removed after the next checkpoint's
/// manifest is written (<see cref="HeldRemovalDevice"/>).
/// </summary>
/// <remarks>
/// <para>When: after a checkpoint, if the log spans more than the minimum and more than twice what it spanned after the
/// last run (like a garbage collector's heap growth: the copying is paid for by the writes that made the garbage, so it
/// costs a bounded share of write throughput whatever the state's size).</para>
/// <para>How: in the background, one log file (<see cref="FasterKeyValueStore.SegmentBytes"/>) at a time, concurrently
/// with writes and reads, which FASTER supports. Not concurrently with a checkpoint (the next checkpoint waits for the
/// run to finish) nor with a scan of the whole store (<see cref="FasterKeyValueStore.ScanAll"/>): a record copied to
/// the tail after the scan passed the tail, and whose old copy the scan then rejects as outdated, would be missed. A
/// scan waits for the file being compacted, and a waiting scan ends the run early.</para>
/// <para>A failed run (an I/O error) is reported by the next checkpoint, as any storage fault is.</para>
/// </remarks>
internal sealed class KeyValueLogCompaction(FasterKV<SpanByte, SpanByte> store, long segmentBytes, long minimumBytes)
{
    private readonly object gate = new();
    private int activeScans;
    private int waitingScans;
    private bool stopping;
    private Task? running;
    private Exception? failure;
    private readonly long minimum = minimumBytes;
    private long compactAbove = minimumBytes;
    private KeyValueCompactionStats stats = new(0, 0, 0, 0);

    public KeyValueCompactionStats Stats => Volatile.Read(ref stats);

    /// <summary>Holds compaction off while a whole-store scan runs; waits for a running file's compaction first.</summary>
    public ScanHold EnterScan()
    {
        lock (gate)
        {
            waitingScans++;
            while (running is not null)
                Monitor.Wait(gate);
            waitingScans--;
            activeScans++;
        }

        return new ScanHold(this);
    }

    /// <summary>Completes when no run is going (throws what a failed run threw).</summary>
    public Task WhenIdleAsync()
    {
        lock (gate)
        {
            if (running is not null)
                return running;
            return failure is null
                ? Task.CompletedTask
                : Task.FromException(new StorageFaultException($"Compacting the key/value log failed: {failure.Message}", failure));
        }
    }

    /// <summary>Starts a run in the background if the log has grown enough and nothing holds compaction off.</summary>
    /// <returns>True when a run started.</returns>
    public bool MaybeStart()
    {
        lock (gate)
        {
            if (running is not null || activeScans > 0 || waitingScans > 0 || stopping || failure is not null)
                return false;
            if (store.Log.TailAddress - store.Log.BeginAddress <= compactAbove)
                return false;
            running = Task.Run(Run);
            return true;
        }
    }

    /// <summary>Ends a running compaction after its current file and keeps new ones from starting.</summary>
    public void Stop()
    {
        Task? task;
        lock (gate)
        {
            stopping = true;
            task = running;
        }

        try
        {
            task?.Wait();
        }
        catch (AggregateException)
        {
            // Reported by the next checkpoint, and there is none after a stop.
        }
    }

    private void Run()
    {
        var started = Stopwatch.GetTimestamp();
        long compacted = 0;
        var finished = false;
        try
        {
            using var session = store.For(new StoredRecordFunctions()).NewSession<StoredRecordFunctions>();
            // The span this run set out to compact: copies made by the run land after it and are not compacted again.
            var end = store.Log.TailAddress;
            while (true)
            {
                lock (gate)
                {
                    if (waitingScans > 0 || stopping)
                        break;
                }

                var begin = store.Log.BeginAddress;
                var until = Math.Min(Math.Min(store.Log.SafeReadOnlyAddress, end), ((begin / segmentBytes) + 1) * segmentBytes);
                if (until <= begin)
                {
                    finished = true;
                    break;
                }

                var reached = session.Compact(until, CompactionType.Lookup);
                compacted += reached - begin;
                if (reached >= end)
                {
                    finished = true;
                    break;
                }
            }
        }
        catch (Exception e)
        {
            lock (gate)
                failure = e;
        }
        finally
        {
            lock (gate)
            {
                var span = store.Log.TailAddress - store.Log.BeginAddress;
                var previous = Volatile.Read(ref stats);
                Volatile.Write(ref stats, new KeyValueCompactionStats(previous.Runs + 1, previous.BytesCompacted + compacted,
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds, span));
                // A run cut short by a scan leaves the threshold, so the next checkpoint tries again.
                if (finished)
                    compactAbove = Math.Max(minimum, 2 * span);
                running = null;
                Monitor.PulseAll(gate);
            }
        }
    }

    /// <summary>A whole-store scan in progress; dispose when it ends.</summary>
    public readonly struct ScanHold(KeyValueLogCompaction owner) : IDisposable
    {
        public void Dispose()
        {
            lock (owner.gate)
            {
                owner.activeScans--;
                Monitor.PulseAll(owner.gate);
            }
        }
    }
}
