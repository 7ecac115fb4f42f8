using System.Runtime.CompilerServices;
using GlobalZone.Client.Internal;
using GlobalZone.Contracts;

namespace GlobalZone.Client;

// Watches: ordered, resumable change streams.
public sealed partial class GlobalZoneClient
{
    /// <summary>
    /// Every change of one key, in revision order, for as long as you enumerate. The watch resumes by itself after
    /// disconnects, member crashes and leader changes, from the first revision not yet delivered: no change is lost or
    /// repeated. Each event's <c>Kv.ModRevision</c> is its revision.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="options">Where to start (default: changes from now on).</param>
    /// <param name="cancellationToken">Ends the watch.</param>
    /// <exception cref="WatchCompactedException">The start (or resume) revision is no longer in the history.</exception>
    /// <exception cref="GlobalZoneException">The cluster refused the watch (a bad key).</exception>
    public IAsyncEnumerable<WatchEvent> WatchAsync(string key, WatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return Flatten(WatchRevisionsAsync(key, isPrefix: false, options, cancellationToken), cancellationToken);
    }

    /// <summary>Every change of the keys under a prefix (empty: all keys), in revision order; resumes by itself like <see cref="WatchAsync"/>.</summary>
    /// <exception cref="WatchCompactedException">The start (or resume) revision is no longer in the history.</exception>
    /// <exception cref="GlobalZoneException">The cluster refused the watch (a bad prefix).</exception>
    public IAsyncEnumerable<WatchEvent> WatchPrefixAsync(string prefix, WatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return Flatten(WatchRevisionsAsync(prefix, isPrefix: true, options, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// The changes grouped by revision: all matching changes of a transaction arrive together in one
    /// <see cref="WatchRevision"/>. Resumes by itself like <see cref="WatchAsync"/>.
    /// </summary>
    /// <param name="keyOrPrefix">A key, or a prefix when <paramref name="isPrefix"/>.</param>
    /// <param name="isPrefix">Watch every key under <paramref name="keyOrPrefix"/>.</param>
    /// <param name="options">Where to start.</param>
    /// <param name="cancellationToken">Ends the watch.</param>
    /// <exception cref="WatchCompactedException">The start (or resume) revision is no longer in the history.</exception>
    /// <exception cref="GlobalZoneException">The cluster refused the watch.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered for <see cref="WatchOptions.MaxUnavailableRounds"/> connects in a row.</exception>
    public async IAsyncEnumerable<WatchRevision> WatchRevisionsAsync(string keyOrPrefix, bool isPrefix, WatchOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyOrPrefix);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Disposing);
        await using var stream = new WatchStream(this, keyOrPrefix, isPrefix, options?.FromRevision, Logger, options?.MaxUnavailableRounds);
        while (true)
            yield return await stream.NextAsync(linked.Token).ConfigureAwait(false);
    }

    private static async IAsyncEnumerable<WatchEvent> Flatten(IAsyncEnumerable<WatchRevision> revisions, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var revision in revisions.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            foreach (var change in revision.Events)
                yield return change;
        }
    }
}
