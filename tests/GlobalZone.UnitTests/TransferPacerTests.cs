using System.Text;
using GlobalZone.Consensus.Snapshots;
using GlobalZone.StateMachine;
using GlobalZone.StateMachine.Commands;
using GlobalZone.Storage;
using Microsoft.Extensions.Time.Testing;

namespace GlobalZone.UnitTests;

/// <summary>
/// The pacer that bounds what a snapshot dump and its sends cost the leader: a burst passes at once, then bytes pass
/// at the rate, on a fake clock (nothing here waits for real time).
/// </summary>
public sealed class TransferPacerTests : IDisposable
{
    private const long MiB = 1 << 20;
    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Unlimited_never_waits()
    {
        var pacer = new TransferPacer(0, new FakeTimeProvider());
        Assert.False(pacer.IsLimited);
        for (var i = 0; i < 100; i++)
            Assert.Equal(TimeSpan.Zero, pacer.Reserve(64 * MiB));
    }

    [Fact]
    public void A_burst_passes_at_once_then_bytes_pass_at_the_rate_and_an_idle_spell_refills_only_the_burst()
    {
        var clock = new FakeTimeProvider();
        var pacer = new TransferPacer(16 * MiB, clock);
        Assert.Equal(4 * MiB, pacer.BurstBytes); // a quarter of a second's worth

        Assert.Equal(TimeSpan.Zero, pacer.Reserve(4 * MiB));
        // Debt of 1 MiB at 16 MiB/s: 1/16 s; the next MiB queues behind it.
        Assert.Equal(TimeSpan.FromSeconds(1.0 / 16), pacer.Reserve(MiB));
        Assert.Equal(TimeSpan.FromSeconds(2.0 / 16), pacer.Reserve(MiB));

        // A long idle spell gives back no more than the burst.
        clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(TimeSpan.Zero, pacer.Reserve(4 * MiB));
        Assert.True(pacer.Reserve(MiB) > TimeSpan.Zero);
    }

    [Fact]
    public async Task PaceAsync_completes_only_when_the_clock_has_moved_far_enough()
    {
        var clock = new FakeTimeProvider();
        var pacer = new TransferPacer(8 * MiB, clock);
        await pacer.PaceAsync(pacer.BurstBytes, CancellationToken.None);
        var waiting = pacer.PaceAsync(4 * MiB, CancellationToken.None); // half a second at 8 MiB/s
        clock.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(waiting.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_paced_snapshot_dump_takes_its_size_over_the_rate_on_the_clock()
    {
        using var source = new KeyValueStateMachine(new StorageOptions
        {
            Directory = Path.Combine(dir.Path, "source"), KeyValueMemoryBytes = 1 << 24, KeyValueIndexBytes = 1 << 16, HistoryMemoryBytes = 1 << 22,
        });
        var value = Encoding.UTF8.GetBytes("\"" + new string('v', 64 * 1024) + "\"");
        for (long i = 1; i <= 160; i++)
            source.Apply(i, 1, TxnCommand.Put("k" + i, value)); // about 10 MiB of state

        var clock = new FakeTimeProvider();
        var pacer = new TransferPacer(2 * MiB, clock);
        var id = SnapshotFile.NewId(160, 1);
        var growing = new GrowingFile(Path.Combine(dir.Path, id + SnapshotFile.Extension));
        var dump = Task.Run(() => SnapshotFile.Write(growing, id, source, 160, 1, pacer, CancellationToken.None));

        // Move the clock in small steps until the dump is done; it cannot finish sooner than its rate allows.
        var advanced = TimeSpan.Zero;
        var step = TimeSpan.FromMilliseconds(50);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!dump.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(1); // let the dump thread reach its next wait
            clock.Advance(step);
            advanced += step;
        }

        var info = await dump.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(info.Size > 10 * MiB, $"the dump is {info.Size} bytes");
        var atTheRate = TimeSpan.FromSeconds((double)(info.Size - pacer.BurstBytes) / pacer.BytesPerSecond);
        Assert.True(advanced >= atTheRate - step, $"a {info.Size}-byte dump at {pacer.BytesPerSecond} B/s finished after {advanced} on the clock; the rate allows no less than {atTheRate}");
    }
}
