using Mesh.Errors;
using Mesh.Storage.Domain;

namespace Mesh.Storage.Tests.Domain;

public sealed class RetentionTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Initial_NothingRequested_IsNowPlusDefault()
    {
        var until = Retention.Initial(Now, TimeSpan.FromDays(3653), null);

        until.Should().Be(Now.AddDays(3653));
    }

    [Fact]
    public void Initial_FutureRequested_IsTheRequestedTime()
    {
        var requested = Now.AddYears(70);

        var until = Retention.Initial(Now, TimeSpan.FromDays(3653), requested);

        until.Should().Be(requested);
    }

    [Fact]
    public void Initial_PastRequested_ThrowsRetainUntilInvalid()
    {
        var act = () => Retention.Initial(Now, TimeSpan.FromDays(1), Now.AddSeconds(-1));

        act.Should().Throw<MeshException>().Which.Reason.Should().Be(StorageReasons.RetainUntilInvalid);
    }

    [Fact]
    public void Extend_EarlierTime_KeepsTheCurrentOne()
    {
        var extended = Retention.Extend(Now.AddYears(10), Now.AddYears(5));

        extended.Should().Be(Now.AddYears(10));
    }

    [Fact]
    public void Extend_LaterTime_TakesIt()
    {
        var extended = Retention.Extend(Now.AddYears(10), Now.AddYears(20));

        extended.Should().Be(Now.AddYears(20));
    }
}
