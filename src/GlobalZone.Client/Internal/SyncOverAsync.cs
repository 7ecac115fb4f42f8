namespace GlobalZone.Client.Internal;

/// <summary>The synchronous members of the DistributedLock interfaces: run the async path off any synchronization context, then block.</summary>
internal static class SyncOverAsync
{
    public static T Run<T>(Func<Task<T>> operation) => Task.Run(operation).GetAwaiter().GetResult();

    public static void Run(Func<Task> operation) => Task.Run(operation).GetAwaiter().GetResult();
}
