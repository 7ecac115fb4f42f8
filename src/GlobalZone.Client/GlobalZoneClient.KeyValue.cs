using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using GlobalZone.Client.Internal;
using GlobalZone.Contracts;

namespace GlobalZone.Client;

// Keys and values: get, list, put, delete, compare-and-set, transactions.
public sealed partial class GlobalZoneClient
{
    private static readonly MediaTypeHeaderValue JsonMedia = new("application/json");
    private static readonly MediaTypeHeaderValue BytesMedia = new("application/octet-stream");

    /// <summary>One key with its revisions, or null when it does not exist.</summary>
    /// <param name="key">The key (UTF-8, up to 1 KiB).</param>
    /// <param name="options">Consistency of the read; null: <see cref="GlobalZoneClientOptions.DefaultConsistency"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="GlobalZoneException">The cluster refused the read (for example a bad key).</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task<KeyValue?> GetAsync(string key, ReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var path = "v1/kv/" + KeyPath.Encode(key) + ReadQuery(options);
        using var response = await Executor.SendAsync(RequestKind.Read, member => new HttpRequestMessage(HttpMethod.Get, new Uri(member, path)), cancellationToken)
            .ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound && await IsKeyNotFoundAsync(response, cancellationToken).ConfigureAwait(false))
            return null;
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync(response, ContractsJsonContext.Default.KeyValue, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A key's JSON value as <typeparamref name="T"/>, or default when the key does not exist.</summary>
    /// <exception cref="GlobalZoneException">The cluster refused the read.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task<T?> GetValueAsync<T>(string key, ReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var kv = await GetAsync(key, options, cancellationToken).ConfigureAwait(false);
        return kv is null ? default : kv.GetValue<T>(ValueJson);
    }

    /// <summary>One page of the keys under a prefix, in key order, read at one revision.</summary>
    /// <param name="prefix">Every key starting with this; empty for all keys.</param>
    /// <param name="options">Page size, cursor, keys only, consistency.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="GlobalZoneException">The cluster refused the read.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task<KeyValuePage> ListAsync(string prefix, ListOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        options ??= new ListOptions();
        var read = options.Read;
        var path = "v1/kv/" + KeyPath.Encode(prefix) + KeyPath.Query(
            ("prefix", ""),
            ("limit", options.Limit is { } limit ? KeyPath.Number(limit) : null),
            ("after", options.After),
            ("keysOnly", options.KeysOnly ? "" : null),
            ("consistency", ConsistencyText(read)),
            ("maxStaleness", read?.MaxStaleness is { } max ? KeyPath.Duration(max) : null));
        using var response = await Executor.SendAsync(RequestKind.Read, member => new HttpRequestMessage(HttpMethod.Get, new Uri(member, path)), cancellationToken)
            .ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false),
            default, cancellationToken).ConfigureAwait(false);
        var root = document.RootElement;
        var items = new List<KeyValue>();
        foreach (var element in root.GetProperty("kvs").EnumerateArray())
            items.Add(element.Deserialize(ContractsJsonContext.Default.KeyValue)!);
        return new KeyValuePage
        {
            Revision = root.GetProperty("revision").GetInt64(),
            Items = items,
            More = root.TryGetProperty("more", out var more) && more.GetBoolean(),
            Next = root.TryGetProperty("next", out var next) ? next.GetString() : null,
        };
    }

    /// <summary>
    /// Every key under a prefix, page after page. Each page is consistent in itself; a listing of many pages is not one
    /// snapshot (watch from the first page's revision + 1 to follow changes).
    /// </summary>
    /// <exception cref="GlobalZoneException">The cluster refused a read.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async IAsyncEnumerable<KeyValue> ListAllAsync(string prefix, ListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new ListOptions();
        while (true)
        {
            var page = await ListAsync(prefix, options, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
                yield return item;
            if (!page.More || page.Next is null)
                yield break;
            options = options with { After = page.Next };
        }
    }

    /// <summary>Writes a JSON value (<typeparamref name="T"/> serialized with <see cref="GlobalZoneClientOptions.JsonSerializerOptions"/>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">Any value that serializes to JSON.</param>
    /// <param name="options">Conditions (compare-and-set, create-only), lease, fence, idempotency key.</param>
    /// <param name="cancellationToken">Cancels waiting; the write may still apply (retry it with the same idempotency key to know).</param>
    /// <returns>The revision the write committed at.</returns>
    /// <exception cref="PreconditionFailedException">A condition in <paramref name="options"/> did not hold.</exception>
    /// <exception cref="FencingTokenRejectedException">The write was fenced by a grant that is no longer current.</exception>
    /// <exception cref="GlobalZoneException">The cluster refused the write (bad key, unknown lease, value too large...).</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public Task<WriteResult> PutAsync<T>(string key, T value, WriteOptions? options = null, CancellationToken cancellationToken = default)
        => PutBodyAsync(key, JsonSerializer.SerializeToUtf8Bytes(value, ValueJson), raw: false, options, cancellationToken);

    /// <summary>Writes a JSON value serialized with source-generated metadata.</summary>
    /// <inheritdoc cref="PutAsync{T}(string, T, WriteOptions?, CancellationToken)"/>
    public Task<WriteResult> PutAsync<T>(string key, T value, JsonTypeInfo<T> typeInfo, WriteOptions? options = null, CancellationToken cancellationToken = default)
        => PutBodyAsync(key, JsonSerializer.SerializeToUtf8Bytes(value, typeInfo), raw: false, options, cancellationToken);

    /// <summary>Writes raw bytes (stored as they are; read back base64 in JSON, see <see cref="KeyValueExtensions.GetBytes"/>).</summary>
    /// <inheritdoc cref="PutAsync{T}(string, T, WriteOptions?, CancellationToken)"/>
    public Task<WriteResult> PutBytesAsync(string key, ReadOnlyMemory<byte> value, WriteOptions? options = null, CancellationToken cancellationToken = default)
        => PutBodyAsync(key, value.ToArray(), raw: true, options, cancellationToken);

    /// <summary>
    /// Writes a value given as UTF-8 JSON text, sent as it is (not re-serialized, so its escapes and number spellings
    /// are kept); the cluster refuses text that is not one JSON value.
    /// </summary>
    /// <inheritdoc cref="PutAsync{T}(string, T, WriteOptions?, CancellationToken)"/>
    public Task<WriteResult> PutJsonAsync(string key, ReadOnlyMemory<byte> utf8Json, WriteOptions? options = null, CancellationToken cancellationToken = default)
        => PutBodyAsync(key, utf8Json.ToArray(), raw: false, options, cancellationToken);

    /// <summary>Compare-and-set: writes only while the key's modRevision is <paramref name="expectedModRevision"/>.</summary>
    /// <returns>True when written; false when the key had changed (or was deleted) since that revision.</returns>
    /// <exception cref="GlobalZoneException">The cluster refused the write.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task<bool> CompareAndSetAsync<T>(string key, T value, long expectedModRevision, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            await PutAsync(key, value, (options ?? new WriteOptions()) with { IfModRevision = expectedModRevision }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (PreconditionFailedException)
        {
            return false;
        }
    }

    /// <summary>Creates a key only if it does not exist.</summary>
    /// <returns>True when created; false when the key already existed.</returns>
    /// <exception cref="GlobalZoneException">The cluster refused the write.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task<bool> CreateAsync<T>(string key, T value, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            await PutAsync(key, value, (options ?? new WriteOptions()) with { IfAbsent = true }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (PreconditionFailedException)
        {
            return false;
        }
    }

    /// <summary>Deletes one key (conditions apply as for puts).</summary>
    /// <returns>The revision, and <see cref="WriteResult.Deleted"/> = 1 when the key existed, 0 when it did not.</returns>
    /// <exception cref="PreconditionFailedException">A condition in <paramref name="options"/> did not hold.</exception>
    /// <exception cref="FencingTokenRejectedException">The delete was fenced by a grant that is no longer current.</exception>
    /// <exception cref="GlobalZoneException">The cluster refused the delete.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public Task<WriteResult> DeleteAsync(string key, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return DeleteCoreAsync("v1/kv/" + KeyPath.Encode(key), options, cancellationToken);
    }

    /// <summary>Deletes every key under a prefix, at one revision.</summary>
    /// <returns>The revision and how many keys were deleted.</returns>
    /// <exception cref="GlobalZoneException">The cluster refused the delete.</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public Task<WriteResult> DeletePrefixAsync(string prefix, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (options is { IfModRevision: not null } or { IfAbsent: true } or { IfExists: true })
            throw new ArgumentException("Conditions apply to one key, not to a prefix delete.", nameof(options));
        return DeleteCoreAsync("v1/kv/" + KeyPath.Encode(prefix) + "?prefix", options, cancellationToken);
    }

    /// <summary>
    /// A transaction: if every compare holds, the success operations run, otherwise the failure operations; atomically,
    /// at one revision. Build it with <see cref="Txn"/>.
    /// </summary>
    /// <param name="request">Compares and operations.</param>
    /// <param name="options">Only <see cref="WriteOptions.FencedBy"/>/<see cref="WriteOptions.Fence"/> and <see cref="WriteOptions.IdempotencyKey"/> apply.</param>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <exception cref="FencingTokenRejectedException">The transaction was fenced by a grant that is no longer current.</exception>
    /// <exception cref="GlobalZoneException">The cluster refused the transaction (malformed, too large...).</exception>
    /// <exception cref="GlobalZoneUnavailableException">No member answered within the retry budget.</exception>
    public async Task<TxnResponse> TxnAsync(TxnRequest request, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = JsonSerializer.SerializeToUtf8Bytes(request, ContractsJsonContext.Default.TxnRequest);
        var idempotencyKey = options?.IdempotencyKey ?? NewIdempotencyKey();
        using var response = await Executor.SendAsync(RequestKind.Write, member =>
        {
            var message = new HttpRequestMessage(HttpMethod.Post, new Uri(member, "v1/txn")) { Content = new ByteArrayContent(body) };
            message.Content.Headers.ContentType = JsonMedia;
            AddWriteHeaders(message, options, idempotencyKey);
            return message;
        }, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync(response, ContractsJsonContext.Default.TxnResponse, cancellationToken).ConfigureAwait(false);
    }

    private async Task<WriteResult> PutBodyAsync(string key, byte[] body, bool raw, WriteOptions? options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var path = "v1/kv/" + KeyPath.Encode(key) + KeyPath.Query(("lease", options?.Lease is { } lease ? KeyPath.Number(lease) : null));
        var idempotencyKey = options?.IdempotencyKey ?? NewIdempotencyKey();
        using var response = await Executor.SendAsync(RequestKind.Write, member =>
        {
            var message = new HttpRequestMessage(HttpMethod.Put, new Uri(member, path)) { Content = new ByteArrayContent(body) };
            message.Content.Headers.ContentType = raw ? BytesMedia : JsonMedia;
            AddWriteHeaders(message, options, idempotencyKey);
            return message;
        }, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync(response, ContractsJsonContext.Default.WriteResult, cancellationToken).ConfigureAwait(false);
    }

    private async Task<WriteResult> DeleteCoreAsync(string path, WriteOptions? options, CancellationToken cancellationToken)
    {
        var idempotencyKey = options?.IdempotencyKey ?? NewIdempotencyKey();
        using var response = await Executor.SendAsync(RequestKind.Write, member =>
        {
            var message = new HttpRequestMessage(HttpMethod.Delete, new Uri(member, path));
            AddWriteHeaders(message, options, idempotencyKey);
            return message;
        }, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync(response, ContractsJsonContext.Default.WriteResult, cancellationToken).ConfigureAwait(false);
    }

    private static void AddWriteHeaders(HttpRequestMessage message, WriteOptions? options, string idempotencyKey)
    {
        message.Headers.TryAddWithoutValidation(HeaderNames.IdempotencyKey, idempotencyKey);
        if (options is null)
            return;
        if (options.IfModRevision is { } revision)
            message.Headers.TryAddWithoutValidation("If-Match", "\"" + KeyPath.Number(revision) + "\"");
        else if (options.IfExists)
            message.Headers.TryAddWithoutValidation("If-Match", "*");
        if (options.IfAbsent)
            message.Headers.TryAddWithoutValidation("If-None-Match", "*");
        if (options.FenceHeader is { } fence)
            message.Headers.TryAddWithoutValidation(HeaderNames.FencingToken, fence);
    }

    private string ReadQuery(ReadOptions? options)
        => KeyPath.Query(("consistency", ConsistencyText(options)), ("maxStaleness", options?.MaxStaleness is { } max ? KeyPath.Duration(max) : null));

    private string ConsistencyText(ReadOptions? options)
        => (options?.Consistency ?? (options?.MaxStaleness is not null ? ReadConsistency.Stale : Options.DefaultConsistency)) == ReadConsistency.Stale ? "stale" : "linearizable";

    /// <summary>A 404 for a missing key (as opposed to a 404 for a path the server does not know, which is a bug to surface).</summary>
    private static async Task<bool> IsKeyNotFoundAsync(HttpResponseMessage response, CancellationToken token)
    {
        var problem = await ProblemReader.ReadAsync(response, token).ConfigureAwait(false);
        return problem is null || problem.Type == ProblemTypes.KeyNotFound;
    }
}
