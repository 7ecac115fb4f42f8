namespace GlobalZone.Jepsen.Checker.Tests.RealHistories;

/// <summary>
/// Locates the shared real histories: <c>../shared/histories</c> next to the repository root, the root being the
/// first folder above the test binaries that holds <c>GlobalZone.sln</c>. The data is read in place, never copied.
/// </summary>
internal static class SharedHistories
{
    private static readonly Lazy<string?> LocatedFolder = new(Locate);

    /// <summary>The histories folder, or null where it is absent.</summary>
    public static string? Folder => LocatedFolder.Value;

    /// <summary>Why the real-history tests are skipped where <see cref="Folder"/> is null.</summary>
    public static string MissingMessage =>
        $"Shared histories not found: expected ../shared/histories beside the repository root (the folder holding GlobalZone.sln above {AppContext.BaseDirectory}).";

    /// <summary>Per-file timeout: generous for a 2-core machine, yet bounds a runaway search.</summary>
    public static TimeSpan CheckTimeout { get; } = TimeSpan.FromSeconds(60);

    public static string PathOf(params string[] parts) =>
        Path.Combine([Folder ?? throw new InvalidOperationException(MissingMessage), .. parts]);

    /// <summary>File names in a sub-folder matching a pattern, sorted (empty when absent).</summary>
    public static string[] ListFiles(string subfolder, string pattern)
    {
        if (Folder is null || !Directory.Exists(Path.Combine(Folder, subfolder)))
        {
            return [];
        }
        var names = Directory.GetFiles(Path.Combine(Folder, subfolder), pattern).Select(Path.GetFileName).OfType<string>().ToArray();
        Array.Sort(names, StringComparer.Ordinal);
        return names;
    }

    /// <summary>The same file names as theory data: one test case per file.</summary>
    public static TheoryData<string> FileNames(string subfolder, string pattern) => new(ListFiles(subfolder, pattern));

    private static string? Locate()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "GlobalZone.sln")))
            {
                var histories = Path.GetFullPath(Path.Combine(folder.FullName, "..", "shared", "histories"));
                return Directory.Exists(histories) ? histories : null;
            }
        }
        return null;
    }
}
