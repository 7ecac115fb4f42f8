using System.Diagnostics;

namespace GlobalZone.ClusterRunner;

/// <summary>
/// One member running as its own OS process (<c>dotnet globalzone-server.dll --config FILE</c>), its output appended
/// to a log file that outlives kills and restarts, so a failed run keeps its evidence.
/// </summary>
public sealed class MemberProcess
{
    private readonly string serverPath;
    private Process? process;

    internal MemberProcess(MemberSpec spec, string directory, string serverPath)
    {
        Spec = spec;
        this.serverPath = serverPath;
        Directory = directory;
        DataDirectory = Path.Combine(directory, "data");
        ConfigPath = Path.Combine(directory, "member.json");
        LogPath = Path.Combine(directory, "member.log");
    }

    public MemberSpec Spec { get; }

    public string Id => Spec.Id;

    public string Url => Spec.Url;

    public string Directory { get; }

    public string DataDirectory { get; }

    public string ConfigPath { get; }

    public string LogPath { get; }

    /// <summary>Process id while running, else null.</summary>
    public int? Pid => process is { HasExited: false } p ? p.Id : null;

    public bool IsRunning => process is { HasExited: false };

    /// <summary>The exit code once the process has ended by itself or been killed; null while it runs or before any start.</summary>
    public int? ExitCode => process is { HasExited: true } p ? p.ExitCode : null;

    public bool IsPaused { get; private set; }

    public void Start()
    {
        if (IsRunning)
            throw new InvalidOperationException($"{Id} is already running.");
        // exec keeps one process (the server) behind the pid, with output appended to the member's log.
        var command = $"exec dotnet '{serverPath}' --config '{ConfigPath}' >> '{LogPath}' 2>&1";
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        File.AppendAllText(LogPath, $"---- start {DateTimeOffset.UtcNow:O}{Environment.NewLine}");
        process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {Id}.");
        IsPaused = false;
    }

    /// <summary><c>kill -9</c>: no shutdown, no flush.</summary>
    public void Kill()
    {
        if (process is not { HasExited: false } p)
            return;
        Signals.Send(p.Id, Signals.SigKill);
        p.WaitForExit();
        IsPaused = false;
        File.AppendAllText(LogPath, $"---- killed (SIGKILL) {DateTimeOffset.UtcNow:O}{Environment.NewLine}");
    }

    /// <summary>SIGTERM and wait for a clean shutdown (SIGKILL after the grace period).</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (process is not { HasExited: false } p)
            return;
        if (IsPaused)
            Resume();
        Signals.Send(p.Id, Signals.SigTerm);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await p.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    /// <summary>SIGSTOP: the process freezes, its sockets stay open (a stalled, not a dead, member).</summary>
    public void Pause()
    {
        if (process is { HasExited: false } p)
        {
            Signals.Send(p.Id, Signals.SigStop);
            IsPaused = true;
        }
    }

    public void Resume()
    {
        if (process is { HasExited: false } p)
        {
            Signals.Send(p.Id, Signals.SigCont);
            IsPaused = false;
        }
    }
}
