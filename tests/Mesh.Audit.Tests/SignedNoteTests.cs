using System.Text.Json;
using Mesh.Audit.Domain;

namespace Mesh.Audit.Tests;

public sealed class SignedNoteTests
{
    private static readonly JsonElement Vectors = TestData.Load("signed-note-vectors.json");

    public static TheoryData<int> VectorIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Vectors.GetProperty("vectors").GetArrayLength(); i++)
        {
            data.Add(i);
        }

        return data;
    }

    private static JsonElement Vector(int i) => Vectors.GetProperty("vectors")[i];

    [Theory]
    [MemberData(nameof(VectorIndexes))]
    public void ParseVerifierKey_Vector_DerivesKeyIdAndPublicKey(int i)
    {
        var v = Vector(i);

        var verifier = NoteVerifier.Parse(v.GetProperty("vkey").GetString()!);

        verifier.Name.Should().Be(v.GetProperty("key_name").GetString());
        verifier.PublicKey.Should().Equal(TestData.Hex(v.GetProperty("public_key_hex").GetString()!));
        verifier.KeyId.ToString("x8", System.Globalization.CultureInfo.InvariantCulture).Should().Be(v.GetProperty("key_id_hex").GetString());
        verifier.VerifierKey.Should().Be(v.GetProperty("vkey").GetString());
    }

    [Theory]
    [MemberData(nameof(VectorIndexes))]
    public void Verify_VectorNote_Succeeds(int i)
    {
        var v = Vector(i);
        var verifier = NoteVerifier.Parse(v.GetProperty("vkey").GetString()!);

        var note = SignedNote.Parse(v.GetProperty("note").GetString()!);

        note.Text.Should().Be(v.GetProperty("note_text").GetString());
        note.Signatures.Should().ContainSingle().Which.Signature.Should().Equal(TestData.Hex(v.GetProperty("signature_hex").GetString()!));
        verifier.Verify(note).Should().Be(v.GetProperty("valid").GetBoolean());
        note.Format().Should().Be(v.GetProperty("note").GetString());
    }

    [Theory]
    [MemberData(nameof(VectorIndexes))]
    public void Verify_TamperedSignatureLine_Fails(int i)
    {
        var v = Vector(i);
        var verifier = NoteVerifier.Parse(v.GetProperty("vkey").GetString()!);
        var tampered = v.GetProperty("note_text").GetString() + "\n" + v.GetProperty("tampered_signature_line").GetString() + "\n";

        var note = SignedNote.Parse(tampered);

        verifier.Verify(note).Should().BeFalse();
    }

    [Theory]
    [MemberData(nameof(VectorIndexes))]
    public void Verify_AlteredText_Fails(int i)
    {
        var v = Vector(i);
        var verifier = NoteVerifier.Parse(v.GetProperty("vkey").GetString()!);
        var note = SignedNote.Parse(v.GetProperty("note").GetString()!);

        var altered = note with { Text = note.Text.Replace('e', 'E') };

        verifier.Verify(altered).Should().BeFalse();
    }

    [Fact]
    public void Sign_GoExamplePrivateKey_ReproducesSignature()
    {
        var v = Vectors.GetProperty("vectors").EnumerateArray().Single(e => e.TryGetProperty("skey", out _));
        var signer = NoteSigner.Parse(v.GetProperty("skey").GetString()!);

        var note = signer.Sign(v.GetProperty("note_text").GetString()!);

        note.Format().Should().Be(v.GetProperty("note").GetString());
        signer.Verifier.VerifierKey.Should().Be(v.GetProperty("vkey").GetString());
        signer.SignerKey.Should().Be(v.GetProperty("skey").GetString());
    }

    [Fact]
    public void Open_CheckpointSignedByLogKey_ReturnsSizeAndRoot()
    {
        var signer = NoteSigner.Generate("mesh.gov.vn/audit");
        var root = MerkleHasher.HashLeaf([1]);
        var text = new Checkpoint("mesh.gov.vn/audit", 42, root, ["ext line"]).ToText();

        var opened = Checkpoint.Open(signer.Sign(text).Format(), NoteVerifier.Parse(signer.Verifier.VerifierKey), "mesh.gov.vn/audit");

        opened.Size.Should().Be(42);
        opened.RootHash.Should().Equal(root);
        opened.Extensions.Should().Equal("ext line");
        text.Should().Be($"mesh.gov.vn/audit\n42\n{Convert.ToBase64String(root)}\next line\n");
    }

    [Fact]
    public void Open_CheckpointSignedByOtherKey_Throws()
    {
        var signer = NoteSigner.Generate("mesh.gov.vn/audit");
        var other = NoteSigner.Generate("mesh.gov.vn/audit");
        var note = signer.Sign(new Checkpoint("mesh.gov.vn/audit", 1, MerkleHasher.EmptyRoot).ToText()).Format();

        var act = () => Checkpoint.Open(note, other.Verifier);

        act.Should().Throw<FormatException>();
    }

    [Theory]
    [InlineData("o\n01\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("o\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("o\n1\nAAAA\n")]
    [InlineData("\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void ParseCheckpoint_NonCanonicalBody_Throws(string text)
    {
        var act = () => Checkpoint.Parse(text);

        act.Should().Throw<FormatException>();
    }
}
