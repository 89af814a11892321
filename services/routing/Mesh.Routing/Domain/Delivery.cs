using Mesh.Errors;

namespace Mesh.Routing.Domain;

/// <summary>The state of one recipient's delivery (transport, not business status).</summary>
public enum DeliveryState
{
    Pending = 1,
    Downloaded = 2,
    Processing = 3,
    Done = 4,
    Failed = 5,
}

/// <summary>A transport acknowledgement (the SDK's updateStatus done / fail / processing, NOTES §2.7).</summary>
public enum AckOutcome
{
    Done = 1,
    Failed = 2,
    Processing = 3,
}

/// <summary>
/// Allowed delivery transitions. Pending → Downloaded on the first download; an acknowledgement
/// needs a download first (the recipient can only confirm what it pulled); Done ends the delivery;
/// Failed may be followed by a successful retry (Processing or Done). Repeating the current outcome
/// is idempotent.
/// </summary>
public static class DeliveryRules
{
    /// <summary>The state after a download.</summary>
    public static DeliveryState AfterDownload(DeliveryState state) => state == DeliveryState.Pending ? DeliveryState.Downloaded : state;

    /// <summary>The state after an acknowledgement; throws DELIVERY_TRANSITION_INVALID or REASON_REQUIRED.</summary>
    public static DeliveryState AfterAcknowledge(DeliveryState state, AckOutcome outcome, string description)
    {
        if (!Enum.IsDefined(outcome))
        {
            throw MeshException.Invalid(RoutingReasons.HeaderInvalid, "outcome", "must be DONE, FAILED or PROCESSING");
        }

        if (outcome == AckOutcome.Failed && string.IsNullOrWhiteSpace(description))
        {
            throw MeshException.Invalid(RoutingReasons.ReasonRequired, "description", "a FAILED acknowledgement needs a reason");
        }

        var next = outcome switch
        {
            AckOutcome.Done => DeliveryState.Done,
            AckOutcome.Failed => DeliveryState.Failed,
            _ => DeliveryState.Processing,
        };
        if (next == state)
        {
            return state;
        }

        return state switch
        {
            DeliveryState.Pending => throw MeshException.Precondition(RoutingReasons.DeliveryTransitionInvalid, "download the document before acknowledging it"),
            DeliveryState.Done => throw MeshException.Precondition(RoutingReasons.DeliveryTransitionInvalid, "the delivery is already complete (DONE)"),
            _ => next,
        };
    }

    /// <summary>Whether the delivery is finished from the deadline's point of view (NĐ 30 Art. 21.2: the receiver answered).</summary>
    public static bool IsAnswered(DeliveryState state) => state is DeliveryState.Done or DeliveryState.Failed;
}
