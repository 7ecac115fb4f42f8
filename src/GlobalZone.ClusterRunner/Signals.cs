using System.Runtime.InteropServices;

namespace GlobalZone.ClusterRunner;

/// <summary>POSIX signals for pausing, resuming and stopping member processes.</summary>
internal static partial class Signals
{
    public const int SigTerm = 15;
    public const int SigKill = 9;
    public const int SigStop = 19;
    public const int SigCont = 18;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
            throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
    }
}
