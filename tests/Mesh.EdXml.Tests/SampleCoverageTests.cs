using FluentAssertions;
using Xunit;

namespace Mesh.EdXml.Tests;

public sealed class SampleCoverageTests
{
    [Fact]
    public void SampleFolder_EveryEdxmlFile_IsCoveredByTheTests()
    {
        var onDisk = Directory.GetFiles(Samples.Directory, "*.edxml").Select(Path.GetFileName);

        var covered = Samples.DocumentFiles.Concat(Samples.StatusFiles);

        onDisk.Should().BeEquivalentTo(covered);
        covered.Should().HaveCount(14);
    }
}
