using FluentAssertions;
using Mesh.Domain;
using Mesh.Errors;
using Xunit;

namespace Mesh.Registry.Tests;

public sealed class OrganIdTests
{
    [Theory]
    [InlineData("000.00.00.G22", true, 1)]
    [InlineData("000.00.00.H49", true, 1)]
    [InlineData("000.00.18.G12", true, 2)]
    [InlineData("000.46.24.H44", true, 3)]
    [InlineData("001.00.10.H47", true, 4)]
    [InlineData("G09.20", false, 0)]
    [InlineData("H37.DN.001", false, 0)]
    [InlineData("G01-TW.05", false, 0)]
    public void Parse_ValidForms_Accepted(string value, bool legacy, int level)
    {
        var id = OrganId.Parse(value);

        id.Value.Should().Be(value);
        id.IsLegacy.Should().Be(legacy);
        id.LegacyLevel.Should().Be(level);
    }

    [Theory]
    [InlineData("")]
    [InlineData("000.00.0.G22")]
    [InlineData("000.00.00.g22")]
    [InlineData("000.00.00.G2")]
    [InlineData("000-00-00-G22")]
    [InlineData(".G22")]
    [InlineData("G22.")]
    [InlineData("G22..01")]
    [InlineData("g09.20")]
    [InlineData("G09 20")]
    [InlineData("A23456789012345678901234567890123456")]
    [InlineData("000.00.00.G22\n")]
    public void Parse_InvalidForms_RefusedWithReason(string value)
    {
        var act = () => OrganId.Parse(value);

        act.Should().Throw<MeshException>().Which.Reason.Should().Be("ORGAN_ID_INVALID");
    }

    [Fact]
    public void Parse_ExactlyMaxLength_Accepted()
    {
        var value = "A" + new string('1', OrganId.MaxLength - 1);

        OrganId.TryParse(value, out var id).Should().BeTrue();
        id.Value.Should().HaveLength(35);
    }

    [Theory]
    [InlineData("000.00.18.G12", "000.00.00.G12")]
    [InlineData("000.46.24.H44", "000.00.24.H44")]
    [InlineData("001.00.10.H47", "000.00.10.H47")]
    public void ImpliedParent_LegacyBelowLevelOne_IsNextLevelUp(string child, string parent)
    {
        OrganId.Parse(child).ImpliedParent!.Value.Value.Should().Be(parent);
    }

    [Fact]
    public void ImpliedParent_LevelOne_IsNone()
    {
        OrganId.Parse("000.00.00.G22").ImpliedParent.Should().BeNull();
    }
}
