namespace GlobalZone.ClusterRunner;

/// <summary>Finds the server to launch: <c>GZ_SERVER</c> if set, else <c>globalzone-server.dll</c> beside this program.</summary>
public static class ServerLocator
{
    public const string ServerAssembly = "globalzone-server.dll";

    public static string Find()
    {
        if (Environment.GetEnvironmentVariable("GZ_SERVER") is { Length: > 0 } configured)
            return File.Exists(configured) ? configured : throw new FileNotFoundException($"GZ_SERVER points at {configured}, which does not exist.");
        var beside = Path.Combine(AppContext.BaseDirectory, ServerAssembly);
        return File.Exists(beside) ? beside : throw new FileNotFoundException($"{ServerAssembly} is not beside {AppContext.BaseDirectory}; build the solution or set GZ_SERVER.");
    }
}
