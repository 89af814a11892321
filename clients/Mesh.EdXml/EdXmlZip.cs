using System.IO.Compression;

namespace Mesh.EdXml;

/// <summary>An entry of a ZIP attachment, as listed by its central directory (nothing is decompressed).</summary>
/// <param name="FullName">Path inside the ZIP.</param>
/// <param name="Length">Uncompressed size the ZIP declares.</param>
/// <param name="CompressedLength">Compressed size.</param>
/// <param name="Crc32">CRC-32 the ZIP declares.</param>
public sealed record EdXmlZipEntry(string FullName, long Length, long CompressedLength, uint Crc32);

/// <summary>
/// The VPCP SDK packs every attached file in a ZIP (<c>application/zip</c>). Mesh keeps those bytes as they are
/// (signatures and digests cover them); this helper only lists what is inside.
/// </summary>
public static class EdXmlZip
{
    /// <summary>Lists the entries of a ZIP without extracting them.</summary>
    /// <param name="zip">The ZIP bytes.</param>
    /// <returns>The entries in central-directory order.</returns>
    /// <exception cref="EdXmlException"><see cref="EdXmlErrorReason.FieldInvalid"/> when the bytes are not a readable ZIP.</exception>
    public static IReadOnlyList<EdXmlZipEntry> ListEntries(ReadOnlyMemory<byte> zip)
    {
        try
        {
            using var stream = new MemoryStream(zip.ToArray(), writable: false);
            using var archive = new ZipArchive(stream, ZipArchiveMode.Read);
            return archive.Entries
                .Select(e => new EdXmlZipEntry(e.FullName, e.Length, e.CompressedLength, e.Crc32))
                .ToList();
        }
        catch (InvalidDataException ex)
        {
            throw new EdXmlException(EdXmlErrorReason.FieldInvalid, "The attachment is not a readable ZIP.", null, ex);
        }
    }

    /// <summary>True when the bytes start with a ZIP local-file or end-of-central-directory signature.</summary>
    /// <param name="content">The bytes.</param>
    public static bool LooksLikeZip(ReadOnlySpan<byte> content) =>
        content.Length >= 4 && content[0] == (byte)'P' && content[1] == (byte)'K' &&
        ((content[2] == 3 && content[3] == 4) || (content[2] == 5 && content[3] == 6));
}
