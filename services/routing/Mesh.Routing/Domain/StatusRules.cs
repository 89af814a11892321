using Mesh.Errors;

namespace Mesh.Routing.Domain;

/// <summary>Business status codes of edXML status messages (QCVN 102:2016 §2.5; SDK samples).</summary>
public enum BusinessStatus
{
    None = 0,
    Arrived = 1,
    Rejected = 2,
    Accepted = 3,
    Assigned = 4,
    Processing = 5,
    Finished = 6,
    WithdrawRequested = 13,
    WithdrawAccepted = 15,
    WithdrawRefused = 16,
}

/// <summary>Who reports a status on a document.</summary>
public enum ReporterRole
{
    Sender,
    Recipient,
}

/// <summary>
/// Which statuses may follow which. Sources: the status list of QCVN 102:2016 §2.5 as used by the
/// VPCP SDK (01 arrived … 06 finished by the receiver; 13 by the original sender; 15/16 the
/// receiver's answer to 13) and NĐ 30 Art. 21.2 (a document that fails the receiver's checks is
/// returned: 02, which must say why). The rule set:
/// <list type="number">
/// <item>13 only by the sender; every other code only by a recipient.</item>
/// <item>A recipient's progress only moves forward: 01 → 03 → 04 → 05 → 06 (steps may be skipped; 05 may repeat).</item>
/// <item>02 only before 03 (a document already registered cannot be refused) and needs a reason; nothing follows 02 or 06 except 15/16.</item>
/// <item>15/16 only while a 13 is pending for that recipient, once; 16 needs a reason.</item>
/// <item>13 only while no 13 is pending.</item>
/// </list>
/// </summary>
public static class StatusRules
{
    /// <summary>Checks a report; throws STATUS_TRANSITION_INVALID, REASON_REQUIRED or NOT_A_RECIPIENT.</summary>
    /// <param name="role">The reporter's role on the document.</param>
    /// <param name="code">The reported code.</param>
    /// <param name="last">The reporter's last progress code (recipient), None if none.</param>
    /// <param name="withdrawPending">Whether a 13 is pending (for the recipient, or for any recipient when the sender reports).</param>
    /// <param name="description">The description.</param>
    public static void Check(ReporterRole role, BusinessStatus code, BusinessStatus last, bool withdrawPending, string description)
    {
        if (!Enum.IsDefined(code) || code == BusinessStatus.None)
        {
            throw MeshException.Invalid(RoutingReasons.StatusMalformed, "status.code", $"{(int)code} is not a status code (01–06, 13, 15, 16)");
        }

        if (code == BusinessStatus.WithdrawRequested)
        {
            if (role != ReporterRole.Sender)
            {
                throw Transition("only the sender may ask to take a document back (13)");
            }

            if (withdrawPending)
            {
                throw Transition("a withdrawal request (13) is already pending");
            }

            return;
        }

        if (role != ReporterRole.Recipient)
        {
            throw MeshException.Denied(RoutingReasons.NotARecipient, $"status {(int)code:D2} is reported by a recipient of the document, not by its sender");
        }

        if ((code is BusinessStatus.Rejected or BusinessStatus.WithdrawRefused) && string.IsNullOrWhiteSpace(description))
        {
            throw MeshException.Invalid(RoutingReasons.ReasonRequired, "status.description", $"status {(int)code:D2} needs a reason");
        }

        if (code is BusinessStatus.WithdrawAccepted or BusinessStatus.WithdrawRefused)
        {
            if (!withdrawPending)
            {
                throw Transition($"status {(int)code:D2} answers a withdrawal request (13), and none is pending");
            }

            return;
        }

        if (last is BusinessStatus.Rejected or BusinessStatus.Finished)
        {
            throw Transition($"nothing follows {(int)last:D2}");
        }

        if (code == BusinessStatus.Rejected)
        {
            if (Rank(last) > Rank(BusinessStatus.Arrived))
            {
                throw Transition($"a document already at {(int)last:D2} cannot be refused (02)");
            }

            return;
        }

        var repeatAllowed = code == BusinessStatus.Processing && last == BusinessStatus.Processing;
        if (Rank(code) <= Rank(last) && !repeatAllowed)
        {
            throw Transition($"{(int)code:D2} cannot follow {(int)last:D2}: progress only moves forward");
        }
    }

    /// <summary>Whether a code is a recipient's progress step (01, 03–06, 02).</summary>
    public static bool IsProgress(BusinessStatus code) => code is >= BusinessStatus.Arrived and <= BusinessStatus.Finished;

    private static int Rank(BusinessStatus code) => code switch
    {
        BusinessStatus.None => 0,
        BusinessStatus.Arrived => 1,
        BusinessStatus.Accepted => 2,
        BusinessStatus.Assigned => 3,
        BusinessStatus.Processing => 4,
        BusinessStatus.Finished => 5,
        _ => 0,
    };

    private static MeshException Transition(string message) => MeshException.Precondition(RoutingReasons.StatusTransitionInvalid, message);
}
