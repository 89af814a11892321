using System.Text;
using Mesh.Signature.Domain;
using Mesh.Signature.Tests.Support;

namespace Mesh.Signature.Tests;

public sealed class ChainCacheTests
{
    private static readonly byte[] s_content = Encoding.UTF8.GetBytes("status 03: accepted and registered");
    private readonly TestPki _pki = new(Harness.RealNow());

    [Fact]
    public async Task VerifyCms_SecondVerificationOfSameSigner_AnsweredFromCache()
    {
        var harness = new Harness(_pki);
        var cms = TestPki.SignCms(s_content, _pki.IssueLeaf(), _pki.Now.AddMinutes(-1));
        await harness.Verifier.VerifyCmsAsync(cms, s_content, null, CancellationToken.None);
        var snapshotsAfterCold = harness.Trust.SnapshotCalls;
        var hitsAfterCold = harness.Verifier.ChainCache.Hits;

        var warm = await harness.Verifier.VerifyCmsAsync(cms, s_content, null, CancellationToken.None);

        warm.Indication.Should().Be(Indication.TotalPassed);
        warm.Signatures[0].Chain.Should().HaveCount(3);
        harness.Verifier.ChainCache.Hits.Should().Be(hitsAfterCold + 1);
        harness.Trust.SnapshotCalls.Should().Be(snapshotsAfterCold, "a warm verification does not read the trust material");
    }

    [Fact]
    public async Task VerifyCms_TrustMaterialVersionChanged_CacheDroppedAndNewCrlApplied()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf();
        var cms = TestPki.SignCms(s_content, leaf, _pki.Now.AddMinutes(-1));
        (await harness.Verifier.VerifyCmsAsync(cms, s_content, null, CancellationToken.None)).Passed.Should().BeTrue();
        var invalidations = harness.Verifier.ChainCache.Invalidations;

        harness.Trust.Set(crls: [_pki.Crl(_pki.Root), _pki.Crl(_pki.Intermediate, (leaf, _pki.Now.AddHours(-1)))]);
        var after = await harness.Verifier.VerifyCmsAsync(cms, s_content, null, CancellationToken.None);

        harness.Verifier.ChainCache.Invalidations.Should().Be(invalidations + 1);
        after.Signatures[0].SubIndication.Should().Be(SubIndication.Revoked);
    }

    [Fact]
    public async Task VerifyCms_SigningTimeOutsideCachedWindow_Revalidated()
    {
        var harness = new Harness(_pki);
        var leaf = _pki.IssueLeaf(notBefore: _pki.Now.AddDays(-10), notAfter: _pki.Now.AddDays(10));
        await harness.Verifier.VerifyCmsAsync(TestPki.SignCms(s_content, leaf, _pki.Now.AddMinutes(-1)), s_content, null, CancellationToken.None);
        var misses = harness.Verifier.ChainCache.Misses;

        var report = await harness.Verifier.VerifyCmsAsync(TestPki.SignCms(s_content, leaf, _pki.Now.AddDays(-11)), s_content, null, CancellationToken.None);

        harness.Verifier.ChainCache.Misses.Should().Be(misses + 1);
        report.Signatures[0].SubIndication.Should().Be(SubIndication.NotYetValid);
    }

    [Fact]
    public async Task VerifyCms_CachedCrlPassesNextUpdate_Revalidated()
    {
        var harness = new Harness(_pki);
        var cms = TestPki.SignCms(s_content, _pki.IssueLeaf(), _pki.Now.AddMinutes(-1));
        await harness.Verifier.VerifyCmsAsync(cms, s_content, null, CancellationToken.None);

        harness.Time.Advance(TimeSpan.FromDays(2));
        var report = await harness.Verifier.VerifyCmsAsync(cms, s_content, null, CancellationToken.None);

        report.Signatures[0].SubIndication.Should().Be(SubIndication.TryLater, "the CRLs used for the cached pass are stale now");
    }

    [Fact]
    public async Task VerifyCms_ConcurrentVerifications_AllPassAndCacheStaysBounded()
    {
        var harness = new Harness(_pki, o => o.ChainCacheCapacity = 16);
        var signed = Enumerable.Range(0, 40).Select(i => TestPki.SignCms(s_content, _pki.IssueLeaf($"CN=Signer {i}"), _pki.Now.AddMinutes(-1))).ToList();

        var reports = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => harness.Verifier.VerifyCmsAsync(signed[i % signed.Count], s_content, null, CancellationToken.None).AsTask())));

        reports.Should().OnlyContain(r => r.Passed);
        harness.Verifier.ChainCache.Count.Should().BeLessThanOrEqualTo(16);
    }
}
