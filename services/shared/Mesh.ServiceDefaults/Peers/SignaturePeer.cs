using System.Collections.Frozen;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Errors;
using Mesh.ServiceDefaults.Errors;
using Mesh.Signing;
using Microsoft.Extensions.Options;
using Proto = Mesh.Contracts.Signature.V1;

namespace Mesh.ServiceDefaults.Peers;

/// <summary>
/// <see cref="ISignatureVerifier"/> and <see cref="IHubSigner"/> through the signature service's Verify,
/// Sign and GetSigningCertificate rpcs, with the same results as the in-process adapters: every signer
/// of a detached signature must pass (the first that does not decides), a valid signature by a
/// certificate not bound to the expected agency is <c>SIGNER_NOT_BOUND</c>, and an unsigned PDF gives
/// an empty list.
/// </summary>
public sealed class SignaturePeer(PeerChannels channels, IOptions<PeerOptions> options) : ISignatureVerifier, IHubSigner
{
    /// <summary>Sub-indication of a valid signature by a certificate not bound to the expected agency.</summary>
    public const string SignerNotBound = "SIGNER_NOT_BOUND";

    private static readonly FrozenDictionary<Proto.SubIndication, string> Codes = Proto.SignatureReflection.Descriptor.EnumTypes.First(e => e.Name == "SubIndication").Values
        .Where(v => v.Number != 0)
        .ToFrozenDictionary(v => (Proto.SubIndication)v.Number, v => v.Name["SUB_INDICATION_".Length..]);

    private readonly Lock certificateGate = new();
    private X509Certificate2? certificate;

    private Proto.SignatureService.SignatureServiceClient Client => new(channels.For(options.Value.Signature, "Signature"));

    /// <inheritdoc />
    public X509Certificate2 Certificate
    {
        get
        {
            lock (certificateGate)
            {
                // Fetched once: the hub key changes only with a redeployment of the signature service, which restarts its callers' view too.
                return certificate ??= X509CertificateLoader.LoadCertificate(Call(() => Client.GetSigningCertificate(new Proto.GetSigningCertificateRequest())).CertificateDer.Span);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<SignatureCheck> VerifyDetachedAsync(ReadOnlyMemory<byte> content, ReadOnlyMemory<byte> cmsSignature, string expectedOrganId, CancellationToken cancellationToken = default)
    {
        var response = await CallAsync(() => Client.VerifyAsync(
            new Proto.VerifyRequest
            {
                Format = Proto.SignatureFormat.Cms,
                Content = UnsafeByteOperations.UnsafeWrap(cmsSignature),
                DetachedContent = UnsafeByteOperations.UnsafeWrap(content),
                ExpectedOrganId = expectedOrganId ?? "",
            },
            cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        if (response.Reports.Count == 0)
        {
            return new SignatureCheck(SignatureIndication.TotalFailed, "FORMAT_FAILURE", "no signer in the CMS signature");
        }

        var chosen = response.Reports.FirstOrDefault(r => r.Indication != Proto.Indication.TotalPassed) ?? response.Reports[0];
        return Map(chosen);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<SignatureCheck>> VerifyPdfAsync(Stream pdf, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pdf);
        using var copy = new MemoryStream();
        await pdf.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        var bytes = copy.GetBuffer().AsMemory(0, (int)copy.Length);

        // The port promises an empty list for an unsigned PDF; the engine reports that as a failure.
        if (bytes.Span.IndexOf("/ByteRange"u8) < 0)
        {
            return [];
        }

        var response = await CallAsync(() => Client.VerifyAsync(
            new Proto.VerifyRequest { Format = Proto.SignatureFormat.Pdf, Content = UnsafeByteOperations.UnsafeWrap(bytes) },
            cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        return [.. response.Reports.Select(Map)];
    }

    /// <inheritdoc />
    public async ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, string purpose, CancellationToken cancellationToken = default)
    {
        var response = await CallAsync(() => Client.SignAsync(
            new Proto.SignRequest { Data = UnsafeByteOperations.UnsafeWrap(data), Purpose = purpose ?? "" },
            cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        return response.CmsSignature.ToByteArray();
    }

    private static SignatureCheck Map(Proto.SignatureReport report)
    {
        var indication = report.Indication switch
        {
            Proto.Indication.TotalPassed => SignatureIndication.TotalPassed,
            Proto.Indication.TotalFailed => SignatureIndication.TotalFailed,
            _ => SignatureIndication.Indeterminate,
        };
        var passed = indication == SignatureIndication.TotalPassed;
        var sub = passed ? ""
            : report.BindingCheck == Proto.BindingCheck.NotBound ? SignerNotBound
            : Codes.GetValueOrDefault(report.SubIndication, "NONE");
        return new SignatureCheck(indication, sub, report.Reason)
        {
            SignerSubject = report.Signer?.Subject ?? "",
            SignerOrganization = report.Signer?.Organization ?? "",
            SignerThumbprint = report.Signer?.Thumbprint ?? "",
            BoundOrganId = report.Signer?.BoundOrganId ?? "",
            SigningTime = report.SigningTime?.ToDateTimeOffset(),
        };
    }

    private static async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw ex.ToMeshException();
        }
    }

    private static T Call<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (RpcException ex)
        {
            throw ex.ToMeshException();
        }
    }
}
