using System.Diagnostics.Metrics;
using Mesh.Storage.Domain;
using Mesh.Storage.Infrastructure;
using Mesh.Storage.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Mesh.Storage.Tests.Support.TestData;

namespace Mesh.Storage.Tests.Infrastructure;

public sealed class StorageCompositionTests
{
    [Theory]
    [InlineData("Mesh:Storage:ChunkSize", "1024")]
    [InlineData("Mesh:Storage:ChunkSize", "8388608")]
    [InlineData("Mesh:Storage:DefaultRetention", "00:00:00")]
    [InlineData("Mesh:Storage:MaxBlobSize", "0")]
    public void AddMeshStorage_InvalidSetting_FailsValidation(string key, string value)
    {
        var (_, _, _, services) = StorageHost.InProcess(new Dictionary<string, string?> { [key] = value });
        using var _ = services;

        var act = () => services.GetRequiredService<IOptions<StorageOptions>>().Value;

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain(key.Split(':')[^1]);
    }

    [Fact]
    public void AddMeshStorage_Defaults_OneMiBChunksAndTenYearRetention()
    {
        var (_, _, _, services) = StorageHost.InProcess();
        using var _ = services;

        var options = services.GetRequiredService<IOptions<StorageOptions>>().Value;

        options.ChunkSize.Should().Be(MiB);
        options.DefaultRetention.Should().BeGreaterThanOrEqualTo(TimeSpan.FromDays(3652));
        services.GetRequiredService<IBlobStorage>().Should().BeOfType<ChunkedBlobStore>();
    }

    [Fact]
    public async Task OpenReadAsync_CancelledWhileReading_StopsWithCancellation()
    {
        var (storage, _, _, services) = StorageHost.InProcess();
        await using var _ = services;
        var content = Random(3 * MiB);
        var put = await storage.PutAsync(Segments(content), new BlobPutRequest("application/pdf"));
        using var cancellation = new CancellationTokenSource();
        var segments = 0;

        await using var read = await storage.OpenReadAsync(put.Blob.Id, cancellationToken: cancellation.Token);
        var act = async () =>
        {
            await foreach (var _ in read.Content)
            {
                segments++;
                await cancellation.CancelAsync();
            }
        };

        await act.Should().ThrowAsync<OperationCanceledException>();
        segments.Should().Be(1);
    }

    [Fact]
    public async Task Telemetry_DedupAndCorruption_AreCounted()
    {
        var (storage, state, _, services) = StorageHost.InProcess();
        await using var _ = services;
        using var meters = new MeterRecorder(services.GetRequiredService<StorageTelemetry>());
        var content = Random(MiB + 1);
        var put = await storage.PutAsync(Segments(content), new BlobPutRequest("application/pdf"));
        await storage.PutAsync(Segments(content), new BlobPutRequest("application/pdf"));
        await state.SetAsync(ChunkedBlobStore.ChunkKey(Sha256Hash.Of(content.AsSpan(MiB))), new byte[] { 0 });

        await using var read = await storage.OpenReadAsync(put.Blob.Id);
        var act = async () => await ReadAllAsync(read.Content);

        await act.Should().ThrowAsync<Mesh.Errors.MeshException>();
        meters.Total("mesh.storage.dedup.blob_hits").Should().Be(1);
        meters.Total("mesh.storage.dedup.chunk_hits").Should().Be(1, "the full first chunk was already stored; the last, partial one goes with the manifest, which was there too (the blob hit)");
        meters.Total("mesh.storage.corruption_detected").Should().Be(1);
        meters.Total("mesh.storage.bytes_in").Should().Be(2L * content.Length);
        meters.Total("mesh.storage.bytes_out").Should().Be(MiB, "only the intact first chunk was handed out");
    }

    private sealed class MeterRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, long> _totals = [];

        public MeterRecorder(StorageTelemetry telemetry)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter == telemetry.BytesIn.Meter)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
            {
                lock (_totals)
                {
                    _totals[instrument.Name] = _totals.GetValueOrDefault(instrument.Name) + value;
                }
            });
            _listener.Start();
        }

        public long Total(string name)
        {
            lock (_totals)
            {
                return _totals.GetValueOrDefault(name);
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
