using System.Text.Json;
using Mesh.State;

namespace Mesh.Registry.Domain;

/// <summary>Reads the trust anchors and CRLs held by the registry, with the trust-store version.</summary>
public sealed class TrustMaterialReader(IStateStore store)
{
    /// <summary>Every anchor and CRL with the trust version.</summary>
    public async ValueTask<TrustMaterial> ReadAsync(CancellationToken cancellationToken)
    {
        var meta = await store.GetAsync(RegistryKeys.Meta, cancellationToken).ConfigureAwait(false);
        var version = meta is null ? 0 : JsonSerializer.Deserialize(meta.Value.Span, RegistryJson.Default.RegistryMeta)!.TrustVersion;
        var anchors = (await store.ScanAllAsync(RegistryKeys.AnchorPrefix, cancellationToken).ConfigureAwait(false))
            .Select(i => JsonSerializer.Deserialize(i.Value.Span, RegistryJson.Default.TrustAnchor)!).ToList();
        var crls = (await store.ScanAllAsync(RegistryKeys.CrlPrefix, cancellationToken).ConfigureAwait(false))
            .Select(i => JsonSerializer.Deserialize(i.Value.Span, RegistryJson.Default.CrlRecord)!).ToList();
        return new TrustMaterial(anchors, crls, version);
    }
}
