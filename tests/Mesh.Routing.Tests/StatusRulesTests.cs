using Mesh.Errors;
using Mesh.Routing.Domain;

namespace Mesh.Routing.Tests;

public sealed class StatusRulesTests
{
    [Theory]
    [InlineData(BusinessStatus.None, BusinessStatus.Arrived)]
    [InlineData(BusinessStatus.Arrived, BusinessStatus.Accepted)]
    [InlineData(BusinessStatus.None, BusinessStatus.Accepted)]
    [InlineData(BusinessStatus.Accepted, BusinessStatus.Finished)]
    [InlineData(BusinessStatus.Assigned, BusinessStatus.Processing)]
    [InlineData(BusinessStatus.Processing, BusinessStatus.Processing)]
    [InlineData(BusinessStatus.Processing, BusinessStatus.Finished)]
    public void Check_RecipientMovesForward_Allowed(BusinessStatus last, BusinessStatus code)
    {
        var act = () => StatusRules.Check(ReporterRole.Recipient, code, last, false, "");

        act.Should().NotThrow();
    }

    [Theory]
    [InlineData(BusinessStatus.Finished, BusinessStatus.Accepted)]
    [InlineData(BusinessStatus.Finished, BusinessStatus.Processing)]
    [InlineData(BusinessStatus.Rejected, BusinessStatus.Accepted)]
    [InlineData(BusinessStatus.Processing, BusinessStatus.Accepted)]
    [InlineData(BusinessStatus.Accepted, BusinessStatus.Arrived)]
    [InlineData(BusinessStatus.Accepted, BusinessStatus.Accepted)]
    public void Check_RecipientGoesBack_TransitionInvalid(BusinessStatus last, BusinessStatus code)
    {
        var act = () => StatusRules.Check(ReporterRole.Recipient, code, last, false, "reason");

        act.Should().Throw<MeshException>().Which.Reason.Should().Be(RoutingReasons.StatusTransitionInvalid);
    }

    [Fact]
    public void Check_RejectAfterRegistered_TransitionInvalid()
    {
        var act = () => StatusRules.Check(ReporterRole.Recipient, BusinessStatus.Rejected, BusinessStatus.Accepted, false, "sai nơi nhận");

        act.Should().Throw<MeshException>().Which.Reason.Should().Be(RoutingReasons.StatusTransitionInvalid);
    }

    [Theory]
    [InlineData(BusinessStatus.Rejected)]
    [InlineData(BusinessStatus.WithdrawRefused)]
    public void Check_WithoutReason_ReasonRequired(BusinessStatus code)
    {
        var act = () => StatusRules.Check(ReporterRole.Recipient, code, BusinessStatus.Arrived, true, " ");

        act.Should().Throw<MeshException>().Which.Reason.Should().Be(RoutingReasons.ReasonRequired);
    }

    [Fact]
    public void Check_WithdrawRequestByRecipient_TransitionInvalid()
    {
        var act = () => StatusRules.Check(ReporterRole.Recipient, BusinessStatus.WithdrawRequested, BusinessStatus.None, false, "");

        act.Should().Throw<MeshException>().Which.Reason.Should().Be(RoutingReasons.StatusTransitionInvalid);
    }

    [Fact]
    public void Check_ProgressBySender_NotARecipient()
    {
        var act = () => StatusRules.Check(ReporterRole.Sender, BusinessStatus.Accepted, BusinessStatus.None, false, "");

        var thrown = act.Should().Throw<MeshException>().Which;
        thrown.Reason.Should().Be(RoutingReasons.NotARecipient);
        thrown.Kind.Should().Be(ErrorKind.PermissionDenied);
    }

    [Fact]
    public void Check_WithdrawAnswerWithoutRequest_TransitionInvalid()
    {
        var act = () => StatusRules.Check(ReporterRole.Recipient, BusinessStatus.WithdrawAccepted, BusinessStatus.Accepted, false, "");

        act.Should().Throw<MeshException>().Which.Reason.Should().Be(RoutingReasons.StatusTransitionInvalid);
    }

    [Fact]
    public void Check_WithdrawAnswerAfterFinished_Allowed()
    {
        var act = () => StatusRules.Check(ReporterRole.Recipient, BusinessStatus.WithdrawAccepted, BusinessStatus.Finished, true, "");

        act.Should().NotThrow();
    }

    [Fact]
    public void Check_SecondWithdrawWhilePending_TransitionInvalid()
    {
        var act = () => StatusRules.Check(ReporterRole.Sender, BusinessStatus.WithdrawRequested, BusinessStatus.None, true, "");

        act.Should().Throw<MeshException>().Which.Reason.Should().Be(RoutingReasons.StatusTransitionInvalid);
    }

    [Fact]
    public void Check_UnknownCode_StatusMalformed()
    {
        var act = () => StatusRules.Check(ReporterRole.Recipient, (BusinessStatus)7, BusinessStatus.None, false, "");

        act.Should().Throw<MeshException>().Which.Reason.Should().Be(RoutingReasons.StatusMalformed);
    }

    [Theory]
    [InlineData(DeliveryState.Downloaded, AckOutcome.Done, DeliveryState.Done)]
    [InlineData(DeliveryState.Downloaded, AckOutcome.Processing, DeliveryState.Processing)]
    [InlineData(DeliveryState.Failed, AckOutcome.Done, DeliveryState.Done)]
    [InlineData(DeliveryState.Done, AckOutcome.Done, DeliveryState.Done)]
    public void AfterAcknowledge_AllowedOutcome_NextState(DeliveryState state, AckOutcome outcome, DeliveryState expected)
    {
        var next = DeliveryRules.AfterAcknowledge(state, outcome, "");

        next.Should().Be(expected);
    }

    [Theory]
    [InlineData(DeliveryState.Pending, AckOutcome.Done)]
    [InlineData(DeliveryState.Done, AckOutcome.Processing)]
    public void AfterAcknowledge_NotAllowed_TransitionInvalid(DeliveryState state, AckOutcome outcome)
    {
        var act = () => DeliveryRules.AfterAcknowledge(state, outcome, "");

        act.Should().Throw<MeshException>().Which.Reason.Should().Be(RoutingReasons.DeliveryTransitionInvalid);
    }

    [Fact]
    public void AfterAcknowledge_FailedWithoutReason_ReasonRequired()
    {
        var act = () => DeliveryRules.AfterAcknowledge(DeliveryState.Downloaded, AckOutcome.Failed, "");

        act.Should().Throw<MeshException>().Which.Reason.Should().Be(RoutingReasons.ReasonRequired);
    }
}
