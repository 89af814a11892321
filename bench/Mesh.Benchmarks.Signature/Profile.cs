using System.Diagnostics;
using System.Security.Cryptography;
using Mesh.Signature.Domain.Crypto;

namespace Mesh.Benchmarks.Signature;

internal static class Profile
{
    public static void Run()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var data = new byte[1024];
        var sig = ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        using var pub = ECDsa.Create();
        pub.ImportSubjectPublicKeyInfo(ecdsa.ExportSubjectPublicKeyInfo(), out _);
        using var mesh = PublicKeyVerifier.FromSubjectPublicKeyInfo(ecdsa.ExportSubjectPublicKeyInfo());
        var alg = new SignatureAlgorithm(SignatureScheme.Ecdsa, HashAlgorithmName.SHA256, "x");
        var bench = new CmsVerificationBenchmarks();
        bench.Setup();
        var f = bench.EcdsaFixture;
        var content = new byte[1024];
        var field = typeof(CmsVerificationBenchmarks).GetField("_content", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        content = (byte[])field.GetValue(bench)!;
        for (var round = 0; round < 3; round++)
        {
            Time("bench-bare", bench.BareEcdsa);
            Time("bench-warm", bench.CmsWarmEcdsa);
            Time("reader", () => f.Reader.ReadAsync(f.Cms, [content], Mesh.Signature.Domain.SignatureFormat.Cms, "cms", CancellationToken.None).AsTask().Result.Count == 1);
            var evidence = f.Reader.ReadAsync(f.Cms, [content], Mesh.Signature.Domain.SignatureFormat.Cms, "cms", CancellationToken.None).AsTask().Result[0];
            var parse = typeof(Mesh.Signature.Infrastructure.CmsSignatureReader).GetMethod("Parse", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
            Time("parse", () => parse.Invoke(f.Reader, [(ReadOnlyMemory<byte>)f.Cms]) is not null);
            var facts = f.Validation.Certificates.Get(f.Verifier.GetType() is null ? [] : ExtractCert(f.Cms));
            var certBytes = ExtractCert(f.Cms);
            Time("certget", () => f.Validation.Certificates.Get(certBytes) == facts);
            var decoded = new System.Security.Cryptography.Pkcs.SignedCms(new System.Security.Cryptography.Pkcs.ContentInfo(content), true);
            decoded.Decode(f.Cms);
            var si = decoded.SignerInfos[0];
            var sigBytes = si.GetSignature();
            var attrs = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
            var tbs = ExtractSignedAttrs(f.Cms);
            var alg2 = new SignatureAlgorithm(SignatureScheme.Ecdsa, HashAlgorithmName.SHA256, "x");
            Console.WriteLine($"verify ok: {facts.Key.Verify(alg2, tbs, sigBytes)}");
            Time("facts-verify", () => facts.Key.Verify(alg2, tbs, sigBytes));
            Time("bare-on-tbs", () => f.EcdsaKey!.VerifyData(tbs, sigBytes, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
            Time("complete", () => f.Validation.CompleteAsync(evidence, null, null, CancellationToken.None).AsTask().Result.Passed);
        }

        for (var round = 0; round < 2; round++)
        {
            Time("bare", () => pub.VerifyData(data, sig, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
            Time("mesh", () => mesh.Verify(alg, data, sig));
            Time("p1363-hash", () => pub.VerifyHash(SHA256.HashData(data), ecdsa.SignHash(SHA256.HashData(data))));
        }
    }

    private static void Time(string name, Func<bool> f)
    {
        var sw = Stopwatch.StartNew();
        var n = 0;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        while (sw.ElapsedMilliseconds < 300)
        {
            f();
            n++;
        }

        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        Console.WriteLine($"{name}: {n / sw.Elapsed.TotalSeconds:F0} op/s wall, {used.TotalMicroseconds / n:F1} us cpu/op");
    }

    private static byte[] ExtractCert(byte[] cms)
    {
        var signed = new System.Security.Cryptography.Pkcs.SignedCms();
        signed.Decode(cms);
        return signed.Certificates[0].RawData;
    }

    private static byte[] ExtractSignedAttrs(byte[] cms)
    {
        var signed = new System.Security.Cryptography.Pkcs.SignedCms();
        signed.Decode(cms);
        var w = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (w.PushSetOf())
        {
            foreach (var a in signed.SignerInfos[0].SignedAttributes)
            {
                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier(a.Oid.Value!);
                    using (w.PushSetOf())
                    {
                        foreach (var v in a.Values)
                        {
                            w.WriteEncodedValue(v.RawData);
                        }
                    }
                }
            }
        }

        return w.Encode();
    }
}
