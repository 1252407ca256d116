"""Who may do what in continuity: one place for the role rules.

* Coordinators manage the action plan (create, edit, delete activities), the report schedule, the sign-off
  of reports, the settings, and the commitments of any partner.
* Members (write role) change the status of activities their own partner owns, fill in their own partner's
  report section, and add, edit and record actuals for their own partner's commitments.
* Viewers read only.
* A partner's section is written only by people who take part through that partner (members and
  coordinators alike) and only until the report is signed off: a coordinator cannot write another
  partner's section.

The ``can_*`` predicates take the caller's membership (``partnership.membership`` as set by
``get_partnership_for_user``, may be ``None``) and never touch the database; pages use them to show or
hide buttons. The ``ensure_*`` functions raise ``PermissionDenied`` and are what services call.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from safepact.continuity.models import ReportStatus
from safepact.partnerships.permissions import can_manage, can_write


def _partner_id(obj) -> int | None:
    return getattr(obj, "pk", obj) if obj is not None else None


# Predicates ---------------------------------------------------------------------------------------


def can_manage_plan(membership) -> bool:
    """Create, edit and delete activities of the action plan."""
    return can_manage(membership)


def can_set_activity_status(membership, activity) -> bool:
    """Coordinators for any activity; members for the activities their own partner owns."""
    if can_manage(membership):
        return True
    return can_write(membership) and membership.partner_id == activity.owner_partner_id


def can_manage_reports(membership) -> bool:
    """The report schedule and the sign-off of reports."""
    return can_manage(membership)


def can_sign_off(membership, report) -> bool:
    return can_manage(membership) and report.signed_off_at is None


def can_edit_section(membership, section, report=None) -> bool:
    """The partner's own people with a write role, until the report is signed off."""
    report = report or section.report
    if report.signed_off_at is not None or report.status == ReportStatus.SIGNED_OFF:
        return False
    return can_write(membership) and membership.partner_id == section.partner_id


def can_manage_commitments_of(membership, partner) -> bool:
    """Add and edit commitments (and record actuals) for ``partner`` (a Partner or its id)."""
    if can_manage(membership):
        return True
    return can_write(membership) and membership.partner_id == _partner_id(partner)


def can_edit_commitment(membership, commitment) -> bool:
    return can_manage_commitments_of(membership, commitment.partner_id)


def can_record_actual(membership, commitment) -> bool:
    return can_edit_commitment(membership, commitment)


def can_add_commitment(membership) -> bool:
    """Whether the caller may add a commitment at all (for their own partner, or any as coordinator)."""
    return can_write(membership)


def can_manage_settings(membership) -> bool:
    return can_manage(membership)


# Guards -------------------------------------------------------------------------------------------


def ensure_can_manage_plan(membership) -> None:
    if not can_manage_plan(membership):
        raise PermissionDenied(_("Only coordinators can change the action plan."))


def ensure_can_set_activity_status(membership, activity) -> None:
    if not can_set_activity_status(membership, activity):
        raise PermissionDenied(
            _("Only coordinators and the owning partner's members can change the status of this activity.")
        )


def ensure_can_manage_reports(membership) -> None:
    if not can_manage_reports(membership):
        raise PermissionDenied(_("Only coordinators can manage progress reports."))


def ensure_can_edit_section(membership, section) -> None:
    """Role and partner only; the signed-off state is a ``ValidationError`` in the service."""
    if not (can_write(membership) and membership.partner_id == section.partner_id):
        raise PermissionDenied(_("Only the partner's own members can write its section."))


def ensure_can_manage_commitments_of(membership, partner) -> None:
    if not can_manage_commitments_of(membership, partner):
        raise PermissionDenied(_("Members can only change their own organisation's commitments."))


def ensure_can_manage_settings(membership) -> None:
    if not can_manage_settings(membership):
        raise PermissionDenied(_("Only coordinators can change the continuity settings."))
