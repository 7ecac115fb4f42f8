namespace GlobalZone.Jepsen.Checker.Tests.RealHistories;

/// <summary>A fact about the shared real histories that reports itself skipped, saying why, where they are absent.</summary>
public sealed class RequiresSharedHistoriesFactAttribute : FactAttribute
{
    public RequiresSharedHistoriesFactAttribute()
    {
        if (SharedHistories.Folder is null)
        {
            Skip = SharedHistories.MissingMessage;
        }
    }
}
