"""Reads of the audit trail. Coordinators of a partnership read its chain.

The trail page is a page of a partnership, so these selectors take a partnership fetched through
the partnerships access helper (the view does that); they re-check the caller's role themselves.
"""

import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safepact.audit.models import AuditEvent
from safepact.partnerships.permissions import can_manage
from safepact.partnerships.selectors import membership_in

# Readable names of actions. Apps add theirs with ``register_action_labels`` (in AppConfig.ready).
ACTION_LABELS: dict[str, str] = {
    "accounts.user.created": _("Account created"),
    "accounts.user.logged_in": _("Logged in"),
    "accounts.user.language_changed": _("Language changed"),
    "accounts.user.password_changed": _("Password changed"),
    "accounts.user.profile_changed": _("Profile changed"),
    "accounts.organisation.created": _("Organisation created"),
    "accounts.organisation_membership.created": _("Joined an organisation"),
    "accounts.api_token.created": _("API token created"),
    "accounts.api_token.revoked": _("API token revoked"),
    "audit.trail.exported": _("Audit trail exported"),
    "partnerships.partnership.created": _("Partnership created"),
    "partnerships.partnership.updated": _("Partnership details changed"),
    "partnerships.partner.added": _("Partner added"),
    "partnerships.partner.status_changed": _("Partner status changed"),
    "partnerships.member.added": _("Member added"),
    "partnerships.member.role_changed": _("Member role changed"),
    "partnerships.member.status_changed": _("Member status changed"),
    "partnerships.member.signatory_changed": _("Authorised signatory changed"),
    "partnerships.invitation.sent": _("Invitation sent"),
    "partnerships.invitation.accepted": _("Invitation accepted"),
    "partnerships.invitation.revoked": _("Invitation revoked"),
}
PREFIX_LABELS: dict[str, str] = {
    "accounts": _("Accounts"),
    "audit": _("Audit trail"),
    "partnerships": _("Partnership"),
    "partnerships.partnership": _("Partnership details"),
    "partnerships.partner": _("Partners"),
    "partnerships.member": _("Members"),
    "partnerships.invitation": _("Invitations"),
}


def register_action_labels(actions: dict | None = None, prefixes: dict | None = None) -> None:
    ACTION_LABELS.update(actions or {})
    PREFIX_LABELS.update(prefixes or {})


def action_label(action: str) -> str:
    """``partnerships.member.role_changed`` → "Member role changed"; unknown ones readable anyway."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    return " · ".join(part.replace("_", " ") for part in action.split(".")).capitalize()


def prefix_label(prefix: str) -> str:
    if prefix in PREFIX_LABELS:
        return str(PREFIX_LABELS[prefix])
    return " · ".join(part.replace("_", " ") for part in prefix.split(".")).capitalize()


def _compact(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 120 else text[:119] + "…"


def changes(before, after) -> list[dict]:
    """A compact diff: one row per field, with the old and the new value (``None`` when absent)."""
    before = before if isinstance(before, dict) else ({} if before is None else {"": before})
    after = after if isinstance(after, dict) else ({} if after is None else {"": after})
    rows = []
    for key in list(dict.fromkeys([*before, *after])):
        old = _compact(before[key]) if key in before else None
        new = _compact(after[key]) if key in after else None
        if old != new:
            rows.append({"field": key, "before": old, "after": new})
    return rows


def _ensure_coordinator(user, partnership) -> None:
    membership = getattr(partnership, "membership", None) or membership_in(user, partnership)
    if membership is None or membership.user_id != user.pk or not can_manage(membership):
        raise PermissionDenied(_("Only coordinators of this partnership can read its audit trail."))


def _chain(partnership) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(chain=str(partnership.code))


def audit_action_prefixes(*, user, partnership) -> list[tuple[str, str]]:
    """The action prefixes present in the trail (``app`` and ``app.thing``), for the filter."""
    _ensure_coordinator(user, partnership)
    actions = _chain(partnership).order_by().values_list("action", flat=True).distinct()
    prefixes = set()
    for action in actions:
        parts = action.split(".")
        prefixes.update(".".join(parts[:n]) for n in range(1, len(parts)))
    choices = []
    for prefix in sorted(prefixes):
        label = prefix_label(prefix)
        if "." in prefix:  # "Partnership: Members"
            label = _("%(parent)s: %(part)s") % {
                "parent": prefix_label(prefix.rsplit(".", 1)[0]),
                "part": label,
            }
        choices.append((prefix, label))
    return choices


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_event_list(
    *,
    user,
    partnership,
    action: str = "",
    who: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEvent]:
    """The partnership's trail, newest first, narrowed by action prefix, person and dates (inclusive)."""
    _ensure_coordinator(user, partnership)
    events = _chain(partnership)
    if action:
        events = events.filter(Q(action=action) | Q(action__startswith=action + "."))
    if who:
        events = events.filter(actor_label__icontains=who)
    if date_from:
        events = events.filter(occurred_at__gte=_day_start(date_from))
    if date_to:
        events = events.filter(occurred_at__lt=_day_start(date_to + timedelta(days=1)))
    return events.order_by("-seq")


def audit_chain_head(*, user, partnership) -> dict | None:
    """The newest event of the chain: ``{"seq": …, "hash": …}``, or ``None`` for an empty chain."""
    _ensure_coordinator(user, partnership)
    return _chain(partnership).order_by("-seq").values("seq", "hash").first()


def audit_export_events(*, user, partnership, through_seq: int) -> Iterator[dict]:
    """The chain oldest first, up to and including ``through_seq``, as the dicts an export carries.

    Streams through a server-side iterator, so a long chain is never held in memory.
    """
    _ensure_coordinator(user, partnership)
    events = _chain(partnership).filter(seq__lte=through_seq).order_by("seq")
    return (event.chain_fields() for event in events.iterator(chunk_size=1000))
