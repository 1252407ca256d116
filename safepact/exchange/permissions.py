"""Who may do what in the information exchange: one place for the role rules.

Reading is decided by the TLP label (``partnerships.tlp.visible_to`` / ``may_see``), never here. Here:

* Members with the write role (coordinators and members) post, add documents and versions, ask for
  information and answer requests addressed to their own organisation. Viewers read only.
* The author of an item or a coordinator edits it, changes its label (a lowering needs a reason) and reads
  its access log.
* The person who asked for an information request (or a coordinator) edits the draft, submits and closes it.
* A Five Safes assessment is decided by a coordinator who did not ask for it (four eyes).
* Coordinators keep the data-sharing register, the settings, legal holds and subject-access searches.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from safepact.partnerships.permissions import can_manage, can_write


def is_author(membership, item) -> bool:
    return membership is not None and item.created_by_id == membership.user_id


def can_post(membership) -> bool:
    return can_write(membership)


def can_edit_item(membership, item) -> bool:
    """Edit, relabel, attach files to, delete an item; read its access log."""
    return can_manage(membership) or (can_write(membership) and is_author(membership, item))


def can_add_version(membership, document) -> bool:
    return can_write(membership)


def can_request(membership) -> bool:
    return can_write(membership)


def can_answer(membership, recipient) -> bool:
    """Answer or decline for an addressed organisation: a write member taking part through that partner."""
    return can_write(membership) and membership.partner_id == recipient.partner_id


def can_close_request(membership, request) -> bool:
    return can_manage(membership) or (can_write(membership) and is_author(membership, request))


def can_decide(membership, assessment) -> bool:
    return can_manage(membership) and assessment.requested_by_id != membership.user_id


def can_manage_register(membership) -> bool:
    return can_manage(membership)


def can_hold(membership) -> bool:
    return can_manage(membership)


def can_subject_access(membership) -> bool:
    return can_manage(membership)


def can_change_settings(membership) -> bool:
    return can_manage(membership)


def read_only_denied() -> PermissionDenied:
    return PermissionDenied(_("Viewers have read-only access to this partnership."))


def ensure(allowed: bool, message: str | None = None) -> None:
    """Raise PermissionDenied with ``message`` (or the read-only message) unless ``allowed``."""
    if not allowed:
        raise PermissionDenied(message) if message else read_only_denied()
