using System.Buffers.Binary;
using System.Globalization;
using Mesh.Audit.Domain;

namespace Mesh.Audit.Infrastructure;

/// <summary>
/// Every state key the log uses, under one prefix. Leaf indexes in index keys are 20-digit
/// zero-padded so that the store's ordinal scan order is the log order. Free-text key parts are
/// percent-escaped so that a '/' in a document id cannot reach into another key range.
/// </summary>
public sealed class AuditKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    /// <summary>The tree state: the key every sequencer transaction is guarded by.</summary>
    public string State => Prefix + "state";

    /// <summary>c2sp.org/tlog-tiles: the latest signed checkpoint lives at "checkpoint".</summary>
    public string Checkpoint => Prefix + "checkpoint";

    public string CheckpointHistoryPrefix => Prefix + "checkpoints/";

    public string CheckpointHistory(long size) => CheckpointHistoryPrefix + Index(size);

    public string Tile(int level, long n, int width) => Prefix + TileLayout.TilePath(level, n, width);

    public string Entries(long n, int width) => Prefix + TileLayout.EntriesPath(n, width);

    /// <summary>
    /// The pieces of partial tile n of a level (entries: level −1), one per batch that appended to it
    /// (see <see cref="TileStore"/>); a piece is named by the items it holds, start…end−1, 3 digits each.
    /// </summary>
    public string TilePiecePrefix(int level, long n) =>
        $"{Prefix}tail/{(level < 0 ? "entries" : level.ToString(CultureInfo.InvariantCulture))}/{TileLayout.EncodeIndex(n)}/";

    public string TilePiece(int level, long n, int start, int end) =>
        TilePiecePrefix(level, n) + start.ToString("D3", CultureInfo.InvariantCulture) + "-" + end.ToString("D3", CultureInfo.InvariantCulture);

    // Secondary indexes are posting lists, one key per index term and batch, named by the last
    // leaf index they hold (20 digits), so a prefix scan returns them in log order and a scan
    // "after <prefix><i>" resumes at the posting that holds the entries after leaf i.

    /// <summary>Postings of one agency (actor or counterpart): <see cref="Postings"/> index lists.</summary>
    public string ByAgencyPrefix(string organId) => $"{Prefix}idx/agency/{Escape(organId)}/";

    public string ByTypePrefix(string type) => $"{Prefix}idx/type/{Escape(type)}/";

    public string ByDayRoot => $"{Prefix}idx/day/";

    public string ByDayPrefix(DateOnly day) => ByDayRoot + Day(day) + "/";

    /// <summary>
    /// Document ids and leaf hashes are unique per entry or nearly: one key per entry would put
    /// every append at a random place of the store's B-tree. They go into 256 buckets by the
    /// first byte of their hash instead, one tagged posting per bucket and batch.
    /// </summary>
    public string ByDocumentBucket(ReadOnlySpan<byte> documentHash) => $"{Prefix}idx/doc/{documentHash[0]:x2}/";

    public string ByLeafHashBucket(ReadOnlySpan<byte> leafHash) => $"{Prefix}idx/leaf/{leafHash[0]:x2}/";

    /// <summary>An idempotency key of Append, by the SHA-256 of the key (keys are caller text of any shape).</summary>
    public string Idempotency(string key) =>
        $"{Prefix}idem/{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))}";

    public string StatsPrefix(DateOnly day) => $"{Prefix}stats/{Day(day)}/";

    public string Stats(DateOnly day, string organId) => StatsPrefix(day) + Escape(organId);

    public string AgenciesPrefix => Prefix + "agencies/";

    public string Agency(string organId) => AgenciesPrefix + Escape(organId);

    public static string Index(long index) => index.ToString("D20", CultureInfo.InvariantCulture);

    public static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string Escape(string part) => Uri.EscapeDataString(part);

    public static string Unescape(string part) => Uri.UnescapeDataString(part);

    /// <summary>The leaf index at the end of an index key.</summary>
    public static long IndexFromKey(string key) => long.Parse(key.AsSpan(key.LastIndexOf('/') + 1), NumberStyles.None, CultureInfo.InvariantCulture);
}

/// <summary>
/// The stored tree state: size and the compact range of the right edge (one hash per set bit of
/// the size), so a sequencer can compute the next root without reading any tile.
/// Layout: version byte 1, int64 BE size, then the hashes.
/// </summary>
public static class TreeStateCodec
{
    public static byte[] Encode(CompactRange range)
    {
        ArgumentNullException.ThrowIfNull(range);
        var buffer = new byte[9 + (range.Hashes.Count * MerkleHasher.HashSize)];
        buffer[0] = 1;
        BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(1), range.Size);
        for (var i = 0; i < range.Hashes.Count; i++)
        {
            range.Hashes[i].CopyTo(buffer, 9 + (i * MerkleHasher.HashSize));
        }

        return buffer;
    }

    public static CompactRange Decode(ReadOnlySpan<byte> value)
    {
        if (value.Length < 9 || value[0] != 1 || (value.Length - 9) % MerkleHasher.HashSize != 0)
        {
            throw new FormatException("The stored audit tree state is not version 1.");
        }

        var size = BinaryPrimitives.ReadInt64BigEndian(value[1..]);
        var hashes = TileLayout.DecodeTile(value[9..]);
        return new CompactRange(size, hashes);
    }
}
