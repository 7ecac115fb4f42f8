using GlobalZone.Jepsen.Checker;

namespace GlobalZone.Jepsen.Traffic;

/// <summary>Counts of what the clients did (thread-safe).</summary>
internal sealed class TrafficStats
{
    private long ok;
    private long failed;
    private long indeterminate;
    private long harnessErrors;

    public long Ok => Interlocked.Read(ref ok);

    public long Failed => Interlocked.Read(ref failed);

    public long Indeterminate => Interlocked.Read(ref indeterminate);

    /// <summary>Exceptions from the harness itself (bugs), not from the cluster.</summary>
    public long HarnessErrors => Interlocked.Read(ref harnessErrors);

    public long Total => Ok + Failed + Indeterminate;

    public void Count(OperationStatus status)
    {
        switch (status)
        {
            case OperationStatus.Ok:
                Interlocked.Increment(ref ok);
                break;
            case OperationStatus.Fail:
                Interlocked.Increment(ref failed);
                break;
            default:
                Interlocked.Increment(ref indeterminate);
                break;
        }
    }

    public void HarnessError() => Interlocked.Increment(ref harnessErrors);
}
