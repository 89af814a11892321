namespace Mesh.State;

/// <summary>Helpers over <see cref="IStateStore"/>.</summary>
public static class StateStoreExtensions
{
    /// <summary>Every item under <paramref name="prefix"/>, in key order, read in pages. For small key spaces only (registry-sized).</summary>
    public static async ValueTask<List<StateItem>> ScanAllAsync(this IStateStore store, string prefix, CancellationToken cancellationToken = default, int pageSize = 500)
    {
        ArgumentNullException.ThrowIfNull(store);
        var all = new List<StateItem>();
        string? after = null;
        while (true)
        {
            var batch = await store.ScanAsync(prefix, after, pageSize, cancellationToken).ConfigureAwait(false);
            all.AddRange(batch);
            if (batch.Count < pageSize)
            {
                return all;
            }

            after = batch[^1].Key;
        }
    }
}
