using Mesh.Signature.Domain.Crypto;

namespace Mesh.Signature.Tests;

public sealed class StrictDerTests
{
    [Theory]
    [InlineData("3006020101020101")]
    [InlineData("300702020080020101")]
    [InlineData("3081")]
    public void IsCanonicalEcdsaSignature_ShortOrCanonical_MatchesDer(string hex)
    {
        var bytes = Convert.FromHexString(hex);

        var canonical = StrictDer.IsCanonicalEcdsaSignature(bytes);

        canonical.Should().Be(hex is "3006020101020101" or "300702020080020101");
    }

    [Theory]
    [InlineData("30070201010201010000", "trailing bytes")]
    [InlineData("308106020101020101", "long-form length below 128")]
    [InlineData("30060201810201010", "negative r")]
    [InlineData("3007020200010201 01", "unneeded leading zero")]
    [InlineData("3006020100020101", "zero r")]
    [InlineData("3008020101020101", "length mismatch")]
    [InlineData("3106020101020101", "SET instead of SEQUENCE")]
    [InlineData("3006040101020101", "OCTET STRING instead of INTEGER")]
    [InlineData("3080020101020101 0000", "indefinite length")]
    public void IsCanonicalEcdsaSignature_NonCanonical_Refused(string hex, string why)
    {
        var bytes = Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal).PadRight(hex.Replace(" ", "", StringComparison.Ordinal).Length + (hex.Replace(" ", "", StringComparison.Ordinal).Length % 2), '0'));

        var canonical = StrictDer.IsCanonicalEcdsaSignature(bytes);

        canonical.Should().BeFalse(why);
    }
}
