using System.Security.Cryptography;
using System.Text.Json;
using Mesh.Signature.Domain.Crypto;
using Mesh.Signature.Tests.Support;

namespace Mesh.Signature.Tests;

/// <summary>
/// Every vector of the seven Wycheproof files goes through Mesh's own verification primitive
/// (<see cref="PublicKeyVerifier"/>, strict DER included), the one CMS, PDF and certificate checks use.
/// "acceptable" vectors (only flag MissingNull, a PKCS#1 DigestInfo without the NULL parameter, bug type
/// LEGACY) are REFUSED by Mesh: RFC 8017 §9.2 note 1 makes the NULL mandatory for SHA-2 DigestInfos and
/// accepting two encodings of one signature is malleability Mesh does not need. The test asserts that decision.
/// </summary>
public sealed class WycheproofTests
{
    [Theory]
    [InlineData("ecdsa_secp256r1_sha256_test.json", 484)]
    [InlineData("ecdsa_secp256r1_sha256_p1363_test.json", 262)]
    [InlineData("ecdsa_secp384r1_sha384_test.json", 504)]
    [InlineData("ecdsa_secp384r1_sha384_p1363_test.json", 280)]
    [InlineData("rsa_signature_2048_sha256_test.json", 259)]
    [InlineData("rsa_signature_3072_sha256_test.json", 259)]
    [InlineData("rsa_pss_2048_sha256_mgf1_32_test.json", 108)]
    public void Verify_EveryVectorInFile_ValidAcceptedInvalidAndAcceptableRefused(string file, int expectedCount)
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepoPaths.Wycheproof, file)));
        var failures = new List<string>();
        var count = 0;
        var acceptable = new List<int>();

        foreach (var group in json.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            var type = group.GetProperty("type").GetString();
            var hash = new HashAlgorithmName(group.GetProperty("sha").GetString()!.Replace("-", "", StringComparison.Ordinal));
            using var key = PublicKeyVerifier.FromSubjectPublicKeyInfo(Convert.FromHexString(group.GetProperty("publicKeyDer").GetString()!));
            var algorithm = type switch
            {
                "EcdsaVerify" or "EcdsaP1363Verify" => new SignatureAlgorithm(SignatureScheme.Ecdsa, hash, type),
                "RsassaPkcs1Verify" => new SignatureAlgorithm(SignatureScheme.RsaPkcs1, hash, type),
                "RsassaPssVerify" => new SignatureAlgorithm(SignatureScheme.RsaPss, hash, type)
                {
                    UnsupportedParameters = group.GetProperty("sLen").GetInt32() == Algorithms.HashLength(hash) && group.GetProperty("mgfSha").GetString() == group.GetProperty("sha").GetString() ? null : "salt",
                },
                _ => throw new InvalidOperationException($"unexpected group type {type}"),
            };

            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                count++;
                var tcId = test.GetProperty("tcId").GetInt32();
                var result = test.GetProperty("result").GetString();
                var accepted = key.Verify(
                    algorithm,
                    Convert.FromHexString(test.GetProperty("msg").GetString()!),
                    Convert.FromHexString(test.GetProperty("sig").GetString()!),
                    ieeeP1363: type == "EcdsaP1363Verify");
                if (result == "acceptable")
                {
                    acceptable.Add(tcId);
                }

                var expected = result == "valid";
                if (accepted != expected)
                {
                    failures.Add($"tcId {tcId} ({result}, {test.GetProperty("comment").GetString()}): Mesh {(accepted ? "accepted" : "refused")}");
                }
            }
        }

        count.Should().Be(expectedCount);
        failures.Should().BeEmpty($"every valid vector must verify and every invalid/acceptable one must be refused in {file}");
        acceptable.Should().HaveCountLessThanOrEqualTo(1);
    }

    [Fact]
    public void Verify_DerMissingZeroVector_RefusedWhereDotNetAlone_Accepts()
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepoPaths.Wycheproof, "ecdsa_secp256r1_sha256_test.json")));
        var group = json.RootElement.GetProperty("testGroups").EnumerateArray()
            .Single(g => g.GetProperty("tests").EnumerateArray().Any(t => t.GetProperty("tcId").GetInt32() == 6));
        var test = group.GetProperty("tests").EnumerateArray().Single(t => t.GetProperty("tcId").GetInt32() == 6);
        var msg = Convert.FromHexString(test.GetProperty("msg").GetString()!);
        var sig = Convert.FromHexString(test.GetProperty("sig").GetString()!);
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(Convert.FromHexString(group.GetProperty("publicKeyDer").GetString()!), out _);
        using var mesh = PublicKeyVerifier.FromSubjectPublicKeyInfo(Convert.FromHexString(group.GetProperty("publicKeyDer").GetString()!));

        var dotnet = ecdsa.VerifyData(msg, sig, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var strict = mesh.Verify(new SignatureAlgorithm(SignatureScheme.Ecdsa, HashAlgorithmName.SHA256, "ecdsa"), msg, sig);

        dotnet.Should().BeTrue("this is the documented .NET leniency the strict parser exists for");
        strict.Should().BeFalse();
        test.GetProperty("result").GetString().Should().Be("invalid");
    }
}
