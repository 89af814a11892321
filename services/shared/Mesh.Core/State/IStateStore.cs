namespace Mesh.State;

/// <summary>
/// Key/value state with optimistic concurrency. Every value carries an opaque ETag that changes
/// on every write. Implementations: Embedded (SQLite), Redis, Dapr.
/// </summary>
/// <remarks>
/// Keys are UTF-8 strings of at most 512 bytes; values are opaque bytes. Writes with an expected
/// ETag are "first write wins": of two writers holding the same ETag exactly one succeeds and the
/// other gets <see cref="ETagMismatchException"/>. <see cref="ETag.Absent"/> as the expected
/// ETag means "create only if the key does not exist".
/// </remarks>
public interface IStateStore
{
    /// <summary>Reads one key; null when it does not exist.</summary>
    ValueTask<StateItem?> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Reads many keys in one round trip; missing keys are simply absent from the result.</summary>
    ValueTask<IReadOnlyList<StateItem>> GetBulkAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes one key and returns its new ETag. <paramref name="expectedETag"/> null writes
    /// unconditionally; <see cref="ETag.Absent"/> requires the key not to exist; any other value
    /// must equal the stored ETag.
    /// </summary>
    /// <exception cref="ETagMismatchException">The precondition did not hold; nothing was written.</exception>
    ValueTask<string> SetAsync(string key, ReadOnlyMemory<byte> value, string? expectedETag = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes one key (a missing key is not an error unless an ETag is expected).</summary>
    /// <exception cref="ETagMismatchException">The precondition did not hold; nothing was deleted.</exception>
    ValueTask DeleteAsync(string key, string? expectedETag = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies every operation or none. ETag preconditions are checked for all operations before
    /// any is applied. Returns the new ETag of each upsert, in order (deletes yield an empty string).
    /// </summary>
    /// <exception cref="ETagMismatchException">A precondition did not hold; nothing was written.</exception>
    ValueTask<IReadOnlyList<string>> TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists keys that start with <paramref name="prefix"/> in ordinal order, strictly after
    /// <paramref name="afterKey"/> when given, at most <paramref name="limit"/> of them.
    /// Services keep their own index keys so that this is the only query a backend must answer.
    /// </summary>
    ValueTask<IReadOnlyList<StateItem>> ScanAsync(string prefix, string? afterKey, int limit, CancellationToken cancellationToken = default);
}

/// <summary>A stored value with its ETag.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The stored bytes.</param>
/// <param name="ETag">Opaque version tag, changes on every write.</param>
public sealed record StateItem(string Key, ReadOnlyMemory<byte> Value, string ETag);

/// <summary>One operation of a <see cref="IStateStore.TransactAsync"/> call.</summary>
/// <param name="Key">The key the operation applies to.</param>
/// <param name="ExpectedETag">Null: no precondition; <see cref="ETag.Absent"/>: the key must not exist; otherwise the stored ETag must equal it.</param>
public abstract record StateOperation(string Key, string? ExpectedETag)
{
    /// <summary>Create or replace a value.</summary>
    public static StateOperation Upsert(string key, ReadOnlyMemory<byte> value, string? expectedETag = null) => new UpsertOperation(key, value, expectedETag);

    /// <summary>Delete a value.</summary>
    public static StateOperation Delete(string key, string? expectedETag = null) => new DeleteOperation(key, expectedETag);
}

/// <summary>Create or replace <see cref="StateOperation.Key"/>.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The new value.</param>
/// <param name="ExpectedETag">The precondition, see <see cref="StateOperation"/>.</param>
public sealed record UpsertOperation(string Key, ReadOnlyMemory<byte> Value, string? ExpectedETag) : StateOperation(Key, ExpectedETag);

/// <summary>Delete <see cref="StateOperation.Key"/>.</summary>
/// <param name="Key">The key.</param>
/// <param name="ExpectedETag">The precondition, see <see cref="StateOperation"/>.</param>
public sealed record DeleteOperation(string Key, string? ExpectedETag) : StateOperation(Key, ExpectedETag);

/// <summary>ETag helpers.</summary>
public static class ETag
{
    /// <summary>Expected-ETag value meaning "the key must not exist yet".</summary>
    public const string Absent = "\0absent";
}

/// <summary>An ETag precondition failed. Maps to gRPC ABORTED with reason ETAG_MISMATCH.</summary>
public sealed class ETagMismatchException(string key)
    : Errors.MeshException(Errors.ErrorKind.Aborted, "ETAG_MISMATCH", $"The stored version of '{key}' has changed; read it again and retry.")
{
    /// <summary>The key whose precondition failed.</summary>
    public string Key { get; } = key;
}
