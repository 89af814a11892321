using System.Security.Cryptography.X509Certificates;
using Mesh.Signature.Domain;
using Mesh.Signature.Tests.Support;

namespace Mesh.Signature.Tests;

/// <summary>A CA run by the openssl CLI (openssl ca), signatures by openssl cms: interop with another implementation.</summary>
public sealed class OpenSslCa : IDisposable
{
    private const string Config = """
        [ ca ]
        default_ca = CA_default
        [ CA_default ]
        dir = .
        database = $dir/index.txt
        new_certs_dir = $dir/newcerts
        serial = $dir/serial
        crlnumber = $dir/crlnumber
        certificate = $dir/ca.pem
        private_key = $dir/ca.key
        default_md = sha256
        default_days = 365
        default_crl_days = 7
        policy = policy_any
        unique_subject = no
        x509_extensions = leaf_ext
        [ policy_any ]
        commonName = supplied
        organizationName = optional
        [ leaf_ext ]
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature,nonRepudiation
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid
        [ tsa_ext ]
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature,nonRepudiation
        extendedKeyUsage = critical,timeStamping
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid
        [ tsa ]
        default_tsa = tsa_config
        [ tsa_config ]
        dir = .
        serial = $dir/tsaserial
        crypto_device = builtin
        signer_cert = $dir/tsa.pem
        signer_key = $dir/tsa.key
        signer_digest = sha256
        default_policy = 1.2.3.4.1
        digests = sha256, sha384, sha512
        accuracy = secs:1
        ordering = yes
        tsa_name = no
        ess_cert_id_chain = no
        ess_cert_id_alg = sha256
        [ ca_ext ]
        basicConstraints = critical,CA:TRUE
        keyUsage = critical,keyCertSign,cRLSign
        subjectKeyIdentifier = hash
        [ req ]
        distinguished_name = dn
        [ dn ]
        """;

    public OpenSslCa()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("mesh-openssl-").FullName;
        File.WriteAllText(Path.Combine(Directory, "openssl.cnf"), Config);
        File.WriteAllText(Path.Combine(Directory, "index.txt"), "");
        File.WriteAllText(Path.Combine(Directory, "serial"), "1000\n");
        File.WriteAllText(Path.Combine(Directory, "crlnumber"), "1000\n");
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "newcerts"));
        Run("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-subj", "/CN=OpenSSL Interop CA/O=Interop", "-days", "3650", "-config", "openssl.cnf", "-extensions", "ca_ext");
        Issue("rsa", "rsa:2048");
        Issue("rsa3072", "rsa:3072");
        Issue("ec", "ec", "-pkeyopt", "ec_paramgen_curve:P-256");
        Issue("revoked", "ec", "-pkeyopt", "ec_paramgen_curve:P-384");
        File.WriteAllText(Path.Combine(Directory, "tsaserial"), "01\n");
        Run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=OpenSSL TSA/O=Interop", "-config", "openssl.cnf");
        Run("ca", "-batch", "-config", "openssl.cnf", "-extensions", "tsa_ext", "-in", "tsa.csr", "-out", "tsa.pem", "-notext");
        File.WriteAllBytes(Path.Combine(Directory, "data.bin"), "edXML manifest bytes signed by openssl\n"u8.ToArray());
        Root = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Directory, "ca.pem"));
    }

    public string Directory { get; }

    public X509Certificate2 Root { get; }

    public byte[] Data => File.ReadAllBytes(Path.Combine(Directory, "data.bin"));

    public string Run(params string[] arguments) => OpenSsl.Run(Directory, arguments);

    public byte[] Sign(string signer, params string[] extra)
    {
        var output = $"{signer}-{Guid.NewGuid():N}.p7s";
        Run(["cms", "-sign", "-binary", "-in", "data.bin", "-signer", $"{signer}.pem", "-inkey", $"{signer}.key", "-md", "sha256", "-outform", "DER", "-out", output, .. extra]);
        return File.ReadAllBytes(Path.Combine(Directory, output));
    }

    public byte[] Crl()
    {
        var name = $"crl-{Guid.NewGuid():N}";
        Run("ca", "-config", "openssl.cnf", "-gencrl", "-out", $"{name}.pem");
        Run("crl", "-in", $"{name}.pem", "-outform", "DER", "-out", $"{name}.der");
        return File.ReadAllBytes(Path.Combine(Directory, $"{name}.der"));
    }

    /// <summary>Adds an RFC 3161 signature time-stamp (CAdES-T) made by `openssl ts -reply` to every signer.</summary>
    public byte[] AddTimestamp(byte[] cms)
    {
        var signed = new System.Security.Cryptography.Pkcs.SignedCms(new System.Security.Cryptography.Pkcs.ContentInfo(Data), detached: true);
        signed.Decode(cms);
        var name = Guid.NewGuid().ToString("N");
        File.WriteAllBytes(Path.Combine(Directory, $"{name}.sig"), signed.SignerInfos[0].GetSignature());
        Run("ts", "-query", "-data", $"{name}.sig", "-sha256", "-cert", "-out", $"{name}.tsq");
        Run("ts", "-reply", "-config", "openssl.cnf", "-queryfile", $"{name}.tsq", "-out", $"{name}.tsr");
        Run("ts", "-reply", "-in", $"{name}.tsr", "-token_out", "-out", $"{name}.tst");
        signed.SignerInfos[0].AddUnsignedAttribute(new System.Security.Cryptography.AsnEncodedData("1.2.840.113549.1.9.16.2.14", File.ReadAllBytes(Path.Combine(Directory, $"{name}.tst"))));
        return signed.Encode();
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private void Issue(string name, string keySpec, params string[] keyOptions)
    {
        Run(["req", "-new", "-newkey", keySpec, .. keyOptions, "-nodes", "-keyout", $"{name}.key", "-out", $"{name}.csr", "-subj", $"/CN=OpenSSL {name} signer/O=Interop", "-config", "openssl.cnf"]);
        Run("ca", "-batch", "-config", "openssl.cnf", "-in", $"{name}.csr", "-out", $"{name}.pem", "-notext");
    }
}

public sealed class OpenSslInteropTests(OpenSslCa ca) : IClassFixture<OpenSslCa>
{
    private Harness NewHarness()
    {
        var harness = new Harness(new TestPki(Harness.RealNow()));
        harness.Trust.Set(anchors: [ca.Root], intermediates: [], crls: [ca.Crl()]);
        return harness;
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("rsa3072")]
    [InlineData("ec")]
    public async Task VerifyCms_OpenSslDetachedSignature_TotalPassed(string signer)
    {
        var harness = NewHarness();
        var cms = ca.Sign(signer);

        var report = await harness.Verifier.VerifyCmsAsync(cms, ca.Data, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalPassed, report.Signatures[0].Reason);
        report.Signatures[0].Signer!.CommonName.Should().Be($"OpenSSL {signer} signer");
    }

    [Fact]
    public async Task VerifyCms_OpenSslRsaPss_TotalPassed()
    {
        var harness = NewHarness();
        var cms = ca.Sign("rsa", "-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:32");

        var report = await harness.Verifier.VerifyCmsAsync(cms, ca.Data, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalPassed, report.Signatures[0].Reason);
        report.Signatures[0].SignatureAlgorithm.Should().Be("RSASSA-PSS-SHA256");
    }

    [Fact]
    public async Task VerifyCms_OpenSslAttachedCades_TotalPassedAsCadesBes()
    {
        var harness = NewHarness();
        var cms = ca.Sign("ec", "-nodetach", "-cades");

        var report = await harness.Verifier.VerifyCmsAsync(cms, null, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalPassed, report.Signatures[0].Reason);
        report.Signatures[0].Format.Should().Be(SignatureFormat.CadesBes);
    }

    [Fact]
    public async Task VerifyCms_OpenSslSignatureTamperedContent_HashFailure()
    {
        var harness = NewHarness();
        var cms = ca.Sign("ec");
        var tampered = ca.Data;
        tampered[0] ^= 0x20;

        var report = await harness.Verifier.VerifyCmsAsync(cms, tampered, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalFailed);
        report.Signatures[0].SubIndication.Should().Be(SubIndication.HashFailure);
    }

    [Fact]
    public async Task VerifyCms_SignerRevokedByOpenSslCrl_Revoked()
    {
        var harness = NewHarness();
        ca.Run("ca", "-config", "openssl.cnf", "-revoke", "revoked.pem", "-crl_reason", "keyCompromise");
        harness.Trust.Set(crls: [ca.Crl()]);
        var cms = ca.Sign("revoked");

        var report = await harness.Verifier.VerifyCmsAsync(cms, ca.Data, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalFailed, report.Signatures[0].Reason);
        report.Signatures[0].SubIndication.Should().Be(SubIndication.Revoked);
    }

    [Fact]
    public async Task VerifyCms_OpenSslSha1Signature_CryptoConstraints()
    {
        var harness = NewHarness();
        var output = $"sha1-{Guid.NewGuid():N}.p7s";
        ca.Run("cms", "-sign", "-binary", "-in", "data.bin", "-signer", "ec.pem", "-inkey", "ec.key", "-md", "sha1", "-outform", "DER", "-out", output);

        var report = await harness.Verifier.VerifyCmsAsync(File.ReadAllBytes(Path.Combine(ca.Directory, output)), ca.Data, null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.CryptoConstraintsFailure);
    }

    [Fact]
    public async Task VerifyCms_OpenSslTimestampToken_SigningTimeFromTimestamp()
    {
        var harness = NewHarness();
        var cms = ca.AddTimestamp(ca.Sign("rsa"));

        var report = await harness.Verifier.VerifyCmsAsync(cms, ca.Data, null, CancellationToken.None);

        report.Indication.Should().Be(Indication.TotalPassed, report.Signatures[0].Reason + string.Join("; ", report.Signatures[0].Warnings));
        report.Signatures[0].SigningTimeSource.Should().Be(SigningTimeSource.Timestamp, string.Join("; ", report.Signatures[0].Warnings));
    }
}
