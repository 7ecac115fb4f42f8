using System.Diagnostics;
using FASTER.core;

namespace GlobalZone.Storage.Compaction;

/// <summary>What compaction of the key/value log has done since the store opened.</summary>
/// <param name="Runs">Compaction runs finished.</param>
/// <param name="BytesCompacted">Log bytes scanned and released (live records in them were copied to the tail).</param>
/// <param name="LastRunMs">Duration of the last run, pauses included.</param>
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
/// <para>When: after a checkpoint, if the log spans more than the minimum and more than twice the live bytes the last
/// run found (like a garbage collector's heap growth: the copying is paid for by the writes that made the garbage, so it
/// costs a bounded share of write throughput whatever the state's size).</para>
/// <para>How: in the background, in 32 MiB steps (one FASTER <c>Compact</c> call each, never across a file's end),
/// concurrently with writes and reads, which FASTER supports. Not concurrently with a checkpoint nor with a scan of the
/// whole store (<see cref="FasterKeyValueStore.ScanAll"/>): a record copied to the tail after the scan passed the tail,
/// and whose old copy the scan then rejects as outdated, would be missed. Those take a <see cref="Hold"/>: it waits for
/// the current step to end, and the run pauses until the hold is released, then goes on. When writes outpace it
/// (<see cref="IsFallingBehind"/>), a checkpoint waits for the whole run instead: applies stall for that long, and disk
/// stays bounded.</para>
/// <para>A failed run (an I/O error) is reported by the next checkpoint, as any storage fault is.</para>
/// </remarks>
internal sealed class KeyValueLogCompaction(FasterKV<SpanByte, SpanByte> store, long segmentBytes, long minimumBytes)
{
    /// <summary>Log bytes compacted in one step (one FASTER <c>Compact</c> call).</summary>
    private const long StepBytes = 32L << 20;

    private readonly object gate = new();
    private readonly long minimum = minimumBytes;
    private int holders;
    private bool stepping;
    private bool stopping;
    private Task? running;
    private Exception? failure;
    private long compactAbove = minimumBytes;
    private KeyValueCompactionStats stats = new(0, 0, 0, 0, 0);

    public KeyValueCompactionStats Stats => Volatile.Read(ref stats);

    /// <summary>Pauses compaction (after its current step) until the hold is disposed: for checkpoints and whole-store scans.</summary>
    public Hold Pause()
    {
        lock (gate)
        {
            holders++;
            while (stepping)
                Monitor.Wait(gate);
        }

        return new Hold(this);
    }

    /// <summary>Throws the failure of an earlier run, as a storage fault.</summary>
    public void ThrowIfFailed()
    {
        lock (gate)
        {
            if (failure is not null)
                throw new StorageFaultException($"Compacting the key/value log failed: {failure.Message}", failure);
        }
    }

    /// <summary>
    /// True while a run is going and the log has grown to one and a half times the span that started it: writes are
    /// outpacing compaction, and the next checkpoint waits for the run to finish (back-pressure, so the files stay
    /// bounded whatever the write rate) instead of only pausing it.
    /// </summary>
    public bool IsFallingBehind
    {
        get
        {
            lock (gate)
                return running is not null && store.Log.TailAddress - store.Log.BeginAddress > compactAbove + (compactAbove / 2);
        }
    }

    /// <summary>Completes when no run is going (for tests and tools that want a settled log).</summary>
    public Task WhenIdleAsync()
    {
        lock (gate)
            return running ?? Task.CompletedTask;
    }

    /// <summary>Starts a run in the background if the log has grown enough and nothing has failed.</summary>
    /// <returns>True when a run started.</returns>
    public bool MaybeStart()
    {
        lock (gate)
        {
            if (running is not null || stopping || failure is not null)
                return false;
            if (store.Log.TailAddress - store.Log.BeginAddress <= compactAbove)
                return false;
            running = Task.Run(Run);
            return true;
        }
    }

    /// <summary>Ends a running compaction after its current step and keeps new ones from starting.</summary>
    public void Stop()
    {
        Task? task;
        lock (gate)
        {
            stopping = true;
            task = running;
            Monitor.PulseAll(gate);
        }

        task?.Wait();
    }

    private void Run()
    {
        var started = Stopwatch.GetTimestamp();
        long compacted = 0;
        long copied = 0;
        var finished = false;
        StoredRecordFunctions? functions = null;
        try
        {
            functions = new StoredRecordFunctions();
            using var session = store.For(functions).NewSession<StoredRecordFunctions>();
            // The span this run set out to compact: the copies it makes land after it and are not compacted again.
            var end = store.Log.TailAddress;
            while (true)
            {
                lock (gate)
                {
                    while (holders > 0 && !stopping)
                        Monitor.Wait(gate);
                    if (stopping)
                        break;
                    stepping = true;
                }

                try
                {
                    var begin = store.Log.BeginAddress;
                    var until = Math.Min(Math.Min(store.Log.SafeReadOnlyAddress, end), Math.Min(begin + StepBytes, ((begin / segmentBytes) + 1) * segmentBytes));
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
                finally
                {
                    copied = functions.CompactionCopiedBytes;
                    lock (gate)
                    {
                        stepping = false;
                        Monitor.PulseAll(gate);
                    }
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
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds, span, copied));
                // The live bytes found (copied) estimate the state's size: the next run comes when the log spans twice
                // that. Not twice the span now: with writes going on during the run, that would count their garbage.
                if (finished)
                    compactAbove = Math.Max(minimum, 2 * copied);
                running = null;
                Monitor.PulseAll(gate);
            }
        }
    }

    /// <summary>Compaction paused for a checkpoint or a scan; dispose when it ends.</summary>
    public readonly struct Hold(KeyValueLogCompaction owner) : IDisposable
    {
        public void Dispose()
        {
            lock (owner.gate)
            {
                owner.holders--;
                Monitor.PulseAll(owner.gate);
            }
        }
    }
}
