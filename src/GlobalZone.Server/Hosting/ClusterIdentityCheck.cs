using GlobalZone.Consensus;
using GlobalZone.Contracts;
using GlobalZone.Storage.Integrity;

namespace GlobalZone.Server.Hosting;

/// <summary>
/// Keeps data and configuration of different clusters apart: a data folder records the cluster it belongs to
/// (<see cref="ClusterIdentityFile"/>), and a member whose configuration names another cluster refuses to start,
/// e.g. data restored for cluster "b" started with the configuration of the cluster "a" it was backed up from.
/// </summary>
internal static class ClusterIdentityCheck
{
    /// <exception cref="InvalidOperationException">The data folder belongs to another cluster.</exception>
    /// <exception cref="StorageIntegrityException">The identity file is damaged.</exception>
    public static void Ensure(NodeOptions options)
    {
        ClusterIdentityFile? recorded;
        try
        {
            recorded = ClusterIdentityFile.TryRead(options.DataDirectory);
        }
        catch (InvalidDataException e)
        {
            throw new StorageIntegrityException(ClusterIdentityFile.PathIn(options.DataDirectory), "The cluster identity file is damaged", OperatorRemedy.ReplaceMember, e);
        }

        if (recorded is null)
        {
            new ClusterIdentityFile { ClusterName = options.ClusterName }.Write(options.DataDirectory);
            return;
        }

        if (!string.Equals(recorded.ClusterName, options.ClusterName, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"The data folder {options.DataDirectory} belongs to cluster '{recorded.ClusterName}', but this member is configured for " +
                $"cluster '{options.ClusterName}' (GlobalZone:ClusterName). Refusing to start rather than mix two clusters' data.");
        }
    }
}
