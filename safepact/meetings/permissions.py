"""Who may do what with meetings: one place for the role rules.

* Coordinators schedule, edit and cancel meetings, record attendance, write minutes and decisions, add
  action items and change the status of any action item.
* Members (write role) may add action items too, and change the status of the action items their own
  partner owns.
* Every active member (viewers included) answers their own invitation.
* Viewers read only. Minutes are readable per TLP (``partnerships.tlp.visible_to``).
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from safepact.partnerships.permissions import can_manage, can_write


def can_schedule(membership) -> bool:
    return can_manage(membership)


def can_record(membership) -> bool:
    """Attendance, minutes and decisions."""
    return can_manage(membership)


def can_add_action(membership) -> bool:
    return can_write(membership)


def can_set_action_status(membership, item) -> bool:
    if can_manage(membership):
        return True
    return can_write(membership) and membership.partner_id == item.owner_partner_id


def can_respond(membership, participant) -> bool:
    return membership is not None and participant.user_id == membership.user_id


def ensure_can_set_action_status(membership, item) -> None:
    if not can_set_action_status(membership, item):
        if can_write(membership):
            raise PermissionDenied(
                _("Only coordinators and the owner partner's members can change this action.")
            )
        raise PermissionDenied(_("Viewers have read-only access to this partnership."))


def ensure_can_respond(membership, participant) -> None:
    if not can_respond(membership, participant):
        raise PermissionDenied(_("You can only answer your own invitation."))
