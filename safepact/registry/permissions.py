"""Who may do what in the registry: one place for the role rules.

* Law-enforcement members (the write role, taking part through an active partner whose organisation is of
  the kind "law enforcement", *and* flagged by platform staff as a law-enforcement officer of that
  organisation: ``accounts.OrganisationMembership.is_law_enforcement_officer``, set in the admin only and
  the same flag that makes two-factor authentication compulsory) see every alert of the partnership, create alerts (their own unit owns them), search
  fuzzily, import and export. Only members of the owning unit change an alert and decide its hits.
* Partner members with the write role (coordinators and members of any organisation) check identifiers,
  singly or in batches, and see the outcome of their own checks. Viewers read only: they see the home page.
* Coordinators keep the registry's settings.
* Everyone else in the partnership gets 403 on alert management; outsiders get 404 (the access helpers).
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from safepact.partnerships.permissions import can_manage, can_write

LAW_ENFORCEMENT = "law_enforcement"


def is_officer(membership) -> bool:
    """Platform staff flagged the person as a law-enforcement officer of the organisation they take part
    through. The organisation's kind alone is no proof: whoever creates an organisation chooses it (a
    coordinator inviting someone "on behalf of a new organisation" may call any organisation law
    enforcement), and a coordinator may invite anyone on behalf of the police's own partner. Read from the
    annotation the access helpers add (``partnerships.selectors``), else asked once and kept on the
    membership."""
    flag = getattr(membership, "is_law_enforcement_officer", None)
    if flag is None:
        from safepact.accounts.models import OrganisationMembership

        flag = OrganisationMembership.objects.filter(
            user_id=membership.user_id,
            organisation_id=membership.partner.organisation_id,
            is_law_enforcement_officer=True,
        ).exists()
        membership.is_law_enforcement_officer = flag
    return bool(flag)


def is_law_enforcement(membership) -> bool:
    return (
        can_write(membership)
        and membership.partner.status == "active"
        and membership.partner.organisation.kind == LAW_ENFORCEMENT
        and is_officer(membership)
    )


def can_check(membership) -> bool:
    return can_write(membership) and membership.partner.status == "active"


def can_see_alerts(membership) -> bool:
    return is_law_enforcement(membership)


def can_create_alert(membership) -> bool:
    return is_law_enforcement(membership)


def is_owner(membership, alert) -> bool:
    return is_law_enforcement(membership) and membership.partner_id == alert.owner_id


def can_change_alert(membership, alert) -> bool:
    return is_owner(membership, alert)


def can_decide_hit(membership, hit) -> bool:
    return is_owner(membership, hit.alert)


def can_resolve_overlap(membership, overlap) -> bool:
    return is_law_enforcement(membership) and membership.partner_id in (
        overlap.first.owner_id,
        overlap.second.owner_id,
    )


def can_search(membership) -> bool:
    """Fuzzy search ("close identifiers"): law enforcement only; partners check exact identifiers."""
    return is_law_enforcement(membership)


def can_import(membership) -> bool:
    return is_law_enforcement(membership)


def can_export(membership) -> bool:
    return is_law_enforcement(membership)


def can_change_settings(membership) -> bool:
    return can_manage(membership)


def ensure(allowed: bool, message: str | None = None) -> None:
    """Raise PermissionDenied with ``message`` (or the law-enforcement message) unless ``allowed``."""
    if not allowed:
        raise PermissionDenied(message or _("Only law-enforcement members of this partnership may do this."))


def ensure_law_enforcement(membership) -> None:
    ensure(is_law_enforcement(membership))


def ensure_check(membership) -> None:
    ensure(can_check(membership), _("Viewers have read-only access to this partnership."))
