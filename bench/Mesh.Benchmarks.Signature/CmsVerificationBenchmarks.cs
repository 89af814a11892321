using System.Diagnostics.Metrics;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Mesh.Signature.Domain;
using Mesh.Signature.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Benchmarks.Signature;

/// <summary>
/// Warm CMS detached verification (chain cached) against a bare VerifyData with the same key over the
/// same 1 KiB manifest, for ECDSA P-256 and RSA-2048; and the cold path (chain validated every time).
/// Baselines are the bare verifications, so the Ratio column is the cost factor (target ≤ 1/0.7 ≈ 1.43).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CmsVerificationBenchmarks
{
    private readonly byte[] _content = new byte[1024];
    private Fixture _ecdsa = null!;
    private Fixture _rsa = null!;

    [GlobalSetup]
    public void Setup()
    {
        RandomNumberGenerator.Fill(_content);
        _ecdsa = new Fixture(_content, ECDsa.Create(ECCurve.NamedCurves.nistP256));
        _rsa = new Fixture(_content, RSA.Create(2048));
        if (!Warm(_ecdsa) || !Warm(_rsa) || !BareEcdsa() || !BareRsa() || !Cold(_ecdsa) || !Cold(_rsa))
        {
            throw new InvalidOperationException("fixture signatures do not verify");
        }
    }

    [Benchmark(Baseline = true), BenchmarkCategory("ECDSA-P256")]
    public bool BareEcdsa() => _ecdsa.EcdsaKey!.VerifyData(_content, _ecdsa.RawSignature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    [Benchmark, BenchmarkCategory("ECDSA-P256")]
    public bool CmsWarmEcdsa() => Warm(_ecdsa);

    [Benchmark, BenchmarkCategory("ECDSA-P256")]
    public bool CmsColdEcdsa() => Cold(_ecdsa);

    [Benchmark(Baseline = true), BenchmarkCategory("RSA-2048")]
    public bool BareRsa() => _rsa.RsaKey!.VerifyData(_content, _rsa.RawSignature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    [Benchmark, BenchmarkCategory("RSA-2048")]
    public bool CmsWarmRsa() => Warm(_rsa);

    [Benchmark, BenchmarkCategory("RSA-2048")]
    public bool CmsColdRsa() => Cold(_rsa);

    private bool Warm(Fixture f) => f.Verifier.VerifyCmsAsync(f.Cms, _content, null, CancellationToken.None).GetAwaiter().GetResult().Passed;

    private bool Cold(Fixture f)
    {
        f.Verifier.ChainCache.Clear();
        return f.Verifier.VerifyCmsAsync(f.Cms, _content, null, CancellationToken.None).GetAwaiter().GetResult().Passed;
    }

    internal Fixture EcdsaFixture => _ecdsa;

    internal sealed class Fixture
    {
        private static readonly IMeterFactory s_meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

        public Fixture(byte[] content, AsymmetricAlgorithm leafKey)
        {
            var now = DateTimeOffset.UtcNow;
            using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var rootRequest = new CertificateRequest("CN=Bench Root", rootKey, HashAlgorithmName.SHA256);
            rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
            var root = rootRequest.CreateSelfSigned(now.AddYears(-1), now.AddYears(5));

            var leafRequest = leafKey is RSA rsa
                ? new CertificateRequest("CN=Bench Signer, O=Bench Agency", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                : new CertificateRequest("CN=Bench Signer, O=Bench Agency", (ECDsa)leafKey, HashAlgorithmName.SHA256);
            leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
            leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
            using var issued = leafRequest.Create(root.SubjectName, X509SignatureGenerator.CreateForECDsa(rootKey), now.AddDays(-1), now.AddYears(1), [1, 2, 3, 4, 5]);
            var leaf = leafKey is RSA r ? issued.CopyWithPrivateKey(r) : issued.CopyWithPrivateKey((ECDsa)leafKey);

            var crl = new CertificateRevocationListBuilder().Build(root, BigInteger.One, now.AddDays(7), HashAlgorithmName.SHA256, thisUpdate: now.AddMinutes(-10));
            var trust = new StaticTrust(new TrustSnapshot(1, [root], [], [crl]));
            var options = new SignatureOptions();
            var validation = new SignatureValidation(trust, new NoBindings(), options, TimeProvider.System);
            var cms = new CmsSignatureReader(validation);
            Reader = cms;
            Validation = validation;
            Verifier = new Mesh.Signature.SignatureVerifier(validation, cms, new PdfSignatureReader(cms, options), new XmlSignatureReader(validation), new Mesh.Signature.SignatureTelemetry(s_meters), NullLogger<Mesh.Signature.SignatureVerifier>.Instance);

            var signed = new SignedCms(new ContentInfo(content), detached: true);
            var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, leaf) { DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"), IncludeOption = X509IncludeOption.EndCertOnly };
            signer.SignedAttributes.Add(new Pkcs9SigningTime(now.AddMinutes(-1).UtcDateTime));
            signer.SignedAttributes.Add(HubSigningKey.SigningCertificateV2(leaf));
            signed.ComputeSignature(signer, silent: true);
            Cms = signed.Encode();

            EcdsaKey = leaf.GetECDsaPublicKey();
            RsaKey = leaf.GetRSAPublicKey();
            RawSignature = EcdsaKey is not null
                ? leaf.GetECDsaPrivateKey()!.SignData(content, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)
                : leaf.GetRSAPrivateKey()!.SignData(content, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }

        public Mesh.Signature.SignatureVerifier Verifier { get; }

        public CmsSignatureReader Reader { get; }

        public SignatureValidation Validation { get; }

        public byte[] Cms { get; }

        public byte[] RawSignature { get; }

        public ECDsa? EcdsaKey { get; }

        public RSA? RsaKey { get; }
    }

    private sealed class StaticTrust(TrustSnapshot snapshot) : ITrustMaterial
    {
        public long Version => snapshot.Version;

        public ValueTask<TrustSnapshot> GetSnapshotAsync(CancellationToken cancellationToken) => ValueTask.FromResult(snapshot);
    }

    private sealed class NoBindings : ICertificateBindings
    {
        public ValueTask<bool> IsBoundAsync(string sha256Thumbprint, string organId, CertificatePurpose purpose, CancellationToken cancellationToken) => ValueTask.FromResult(false);
    }
}
