using System.Security.Cryptography.X509Certificates;
using Mesh.Signature.Domain;

namespace Mesh.Signature.Tests.Support;

/// <summary>The registry's trust material, in memory; every change bumps the version.</summary>
internal sealed class InMemoryTrust : ITrustMaterial
{
    private readonly Lock _gate = new();
    private long _version = 1;
    private List<X509Certificate2> _anchors = [];
    private List<X509Certificate2> _intermediates = [];
    private List<byte[]> _crls = [];
    private List<X509Certificate2> _known = [];

    public long Version => Interlocked.Read(ref _version);

    public int SnapshotCalls { get; private set; }

    public ValueTask<TrustSnapshot> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            SnapshotCalls++;
            return ValueTask.FromResult(new TrustSnapshot(_version, [.. _anchors], [.. _intermediates], [.. _crls], [.. _known]));
        }
    }

    public InMemoryTrust Set(IEnumerable<X509Certificate2>? anchors = null, IEnumerable<X509Certificate2>? intermediates = null, IEnumerable<byte[]>? crls = null, IEnumerable<X509Certificate2>? known = null)
    {
        lock (_gate)
        {
            _anchors = anchors?.ToList() ?? _anchors;
            _intermediates = intermediates?.ToList() ?? _intermediates;
            _crls = crls?.ToList() ?? _crls;
            _known = known?.ToList() ?? _known;
            _version++;
        }

        return this;
    }
}

internal sealed class InMemoryBindings : ICertificateBindings
{
    private readonly HashSet<(string, string, CertificatePurpose)> _bindings = [];

    public void Bind(X509Certificate2 certificate, string organId, CertificatePurpose purpose = CertificatePurpose.DocumentSigning) =>
        _bindings.Add((Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(certificate.RawData)), organId, purpose));

    public ValueTask<bool> IsBoundAsync(string sha256Thumbprint, string organId, CertificatePurpose purpose, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_bindings.Contains((sha256Thumbprint, organId, purpose)));
}
