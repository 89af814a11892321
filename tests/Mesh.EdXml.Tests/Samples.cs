namespace Mesh.EdXml.Tests;

// The SDK samples live outside the repository (unclear licence): ../shared/standards/edxml beside
// the repository root, which is the folder holding Directory.Build.props.
internal static class Samples
{
    public static readonly string Directory = Locate();

    public static readonly string[] DocumentFiles =
    [
        "edoc_new.payload-elided.edxml",
        "edoc_revocation.payload-elided.edxml",
        "edoc_update.payload-elided.edxml",
        "edoc_replacement.payload-elided.edxml",
    ];

    public static readonly string[] StatusFiles =
    [
        "status.edxml",
        "status_inbox_01.edxml",
        "status_rejection_02.edxml",
        "status_acceptance_03.edxml",
        "status_assignment_04.edxml",
        "status_processing_05.edxml",
        "status_finish_06.edxml",
        "status_cancellation_13.edxml",
        "status_change-acceptance_15.edxml",
        "status_change-rejection_16.edxml",
    ];

    public static IEnumerable<object[]> Documents => DocumentFiles.Select(f => new object[] { f });

    public static IEnumerable<object[]> Statuses => StatusFiles.Select(f => new object[] { f });

    public static IEnumerable<object[]> All => DocumentFiles.Concat(StatusFiles).Select(f => new object[] { f });

    public static string PathOf(string file) => Path.Combine(Directory, file);

    public static byte[] Bytes(string file) => File.ReadAllBytes(PathOf(file));

    public static Stream Open(string file) => File.OpenRead(PathOf(file));

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "standards", "edxml"));
            }
        }
        throw new InvalidOperationException("Directory.Build.props not found above " + AppContext.BaseDirectory);
    }
}
