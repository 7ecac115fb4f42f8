namespace GlobalZone.Jepsen.Checker.Tests.RealHistories;

/// <summary>A theory over the shared real histories that reports itself skipped, saying why, where they are absent.</summary>
public sealed class RequiresSharedHistoriesTheoryAttribute : TheoryAttribute
{
    public RequiresSharedHistoriesTheoryAttribute()
    {
        if (SharedHistories.Folder is null)
        {
            Skip = SharedHistories.MissingMessage;
        }
    }
}
