using System.IO.Compression;
using FluentAssertions;
using Xunit;

namespace Mesh.EdXml.Tests;

public sealed class ZipTests
{
    [Fact]
    public void ListEntries_ZipOfTwoFiles_ListsWithoutExtracting()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var w = new StreamWriter(zip.CreateEntry("van-ban.pdf").Open())) { w.Write("%PDF-1.7"); }
            using (var w = new StreamWriter(zip.CreateEntry("phu-luc/a.txt").Open())) { w.Write("annex text"); }
        }

        var entries = EdXmlZip.ListEntries(buffer.ToArray());

        entries.Select(e => (e.FullName, e.Length)).Should().Equal(("van-ban.pdf", 8L), ("phu-luc/a.txt", 10L));
    }

    [Fact]
    public void ListEntries_NotAZip_FieldInvalid()
    {
        var act = () => EdXmlZip.ListEntries("%PDF-1.7 not a zip"u8.ToArray());

        act.Should().Throw<EdXmlException>().Which.Reason.Should().Be(EdXmlErrorReason.FieldInvalid);
    }

    [Fact]
    public void LooksLikeZip_PdfBytes_False()
    {
        var result = EdXmlZip.LooksLikeZip("%PDF"u8);

        result.Should().BeFalse();
    }
}
