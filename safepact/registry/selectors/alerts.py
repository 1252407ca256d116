"""Reads of alerts, hits and overlaps (law enforcement), the registry's settings and the home page summary.

Every selector takes the requesting user and starts from the access helper: outsiders get 404, members
without the role 403 (``permissions``). Partners never read an alert: what a checking partner learns of a
hit is ``checker_outcome``.
"""

from datetime import datetime, time
from uuid import UUID

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from safepact.lib import clock
from safepact.partnerships.models import Partnership
from safepact.partnerships.permissions import can_manage
from safepact.partnerships.selectors import get_partnership_for_user
from safepact.registry import permissions
from safepact.registry.models import (
    Alert,
    AlertStatus,
    Category,
    Check,
    Hit,
    HitStatus,
    Identifier,
    Overlap,
    RegistrySettings,
)

__all__ = [
    "alert_list",
    "checker_outcome",
    "get_alert",
    "get_hit",
    "get_overlap",
    "hit_list",
    "overlap_list",
    "registry_summary",
    "settings_for",
    "settings_map",
]


def _not_found():
    return Http404(_("Not found."))


def _parse_code(code) -> UUID | None:
    if isinstance(code, UUID):
        return code
    try:
        return UUID(str(code))
    except (TypeError, ValueError, AttributeError):
        return None


def member_scope(user, partnership: Partnership) -> tuple[Partnership, object]:
    """The partnership as ``user`` may see it and their membership: 404 for outsiders.

    A partnership fetched by the access helper for this very user already carries the membership; it is
    used as it is (no second query)."""
    membership = getattr(partnership, "membership", None)
    if membership is None or membership.user_id != getattr(user, "pk", None):
        partnership = get_partnership_for_user(user, partnership.code)
        membership = partnership.membership
    return partnership, membership


def _law_enforcement(user, partnership: Partnership) -> tuple[Partnership, object]:
    partnership, membership = member_scope(user, partnership)
    permissions.ensure(permissions.can_see_alerts(membership))
    return partnership, membership


# Settings ------------------------------------------------------------------------------------------


def settings_for(partnership: Partnership) -> RegistrySettings:
    """The partnership's registry settings: the saved row, or unsaved defaults."""
    found = RegistrySettings.objects.filter(partnership_id=partnership.pk).first()
    return found or RegistrySettings(partnership=partnership)


def settings_map(partnership_ids) -> dict[int, RegistrySettings]:
    """Bulk (background jobs): the settings of each partnership id, defaults for those without. One query."""
    ids = list(partnership_ids)
    found = {s.partnership_id: s for s in RegistrySettings.objects.filter(partnership_id__in=ids)}
    return {pid: found.get(pid) or RegistrySettings(partnership_id=pid) for pid in ids}


# Alerts --------------------------------------------------------------------------------------------


def _compact_query(q: str) -> str:
    return "".join(ch for ch in q.upper() if ch.isalnum())


def alert_list(
    *, user, partnership: Partnership, status=None, category=None, mine: bool = False, q: str = ""
) -> QuerySet[Alert]:
    """The partnership's alerts (law enforcement only), newest first, with the owning unit and the number
    of identifiers (``identifier_count``). Filters: status, category, ``mine`` (my unit's), ``q`` (the
    reference, the case reference, the description or an identifier)."""
    partnership, membership = _law_enforcement(user, partnership)
    alerts = Alert.objects.filter(partnership=partnership)
    if status:
        alerts = alerts.filter(status=status)
    if category:
        alerts = alerts.filter(category=category)
    if mine:
        alerts = alerts.filter(owner_id=membership.partner_id)
    q = (q or "").strip()
    if q:
        matches = Q(reference__icontains=q) | Q(case_reference__icontains=q) | Q(description__icontains=q)
        compacted = _compact_query(q)
        identifiers = Identifier.objects.filter(alert=OuterRef("pk")).filter(
            Q(value__icontains=q) | (Q(key__contains=compacted) if compacted else Q(pk__in=[]))
        )
        alerts = alerts.filter(matches | Q(Exists(identifiers)))
    identifier_count = (
        Identifier.objects.filter(alert=OuterRef("pk"))
        .order_by()
        .values("alert")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        alerts.select_related("owner__organisation")
        .annotate(identifier_count=Coalesce(Subquery(identifier_count), 0))
        .order_by("-created_at", "-id")
    )


def get_alert(*, user, partnership: Partnership, code) -> Alert:
    """One alert of the partnership (law enforcement only): 404 when unknown, 403 without the role."""
    partnership, _membership = _law_enforcement(user, partnership)
    parsed = _parse_code(code)
    alert = (
        Alert.objects.filter(partnership=partnership, code=parsed)
        .select_related("owner__organisation", "created_by")
        .prefetch_related("identifiers")
        .first()
        if parsed
        else None
    )
    if alert is None:
        raise _not_found()
    alert.partnership = partnership
    return alert


# Hits ----------------------------------------------------------------------------------------------

HIT_RELATED = (
    "alert__owner__organisation",
    "identifier",
    "checked_by",
    "checked_by_organisation",
)


def hit_list(*, user, partnership: Partnership, status=None) -> QuerySet[Hit]:
    """Every hit on the partnership's alerts (law enforcement only), newest first."""
    partnership, _membership = _law_enforcement(user, partnership)
    hits = Hit.objects.filter(partnership=partnership)
    if status:
        hits = hits.filter(status=status)
    return hits.select_related(*HIT_RELATED).order_by("-created_at", "-id")


def get_hit(*, user, partnership: Partnership, code) -> Hit:
    partnership, _membership = _law_enforcement(user, partnership)
    parsed = _parse_code(code)
    hit = (
        Hit.objects.filter(partnership=partnership, code=parsed)
        .select_related(*HIT_RELATED, "decided_by", "batch")
        .first()
        if parsed
        else None
    )
    if hit is None:
        raise _not_found()
    hit.partnership = partnership
    hit.alert.partnership = partnership
    return hit


def checker_outcome(hit: Hit) -> str:
    """What the checking partner is told about their hit, and nothing more."""
    if hit.status == HitStatus.CONFIRMED:
        return _("Confirmed: the police will contact you.")
    if hit.status == HitStatus.REJECTED:
        return _("Not confirmed: no further action needed.")
    return _("Hit: follow the action; the police unit has been told.")


# Overlaps ------------------------------------------------------------------------------------------

OVERLAP_RELATED = ("first__owner__organisation", "second__owner__organisation", "resolved_by")


def overlap_list(*, user, partnership: Partnership, status=None) -> QuerySet[Overlap]:
    """Pairs of alerts sharing an identifier (law enforcement only), newest first."""
    partnership, _membership = _law_enforcement(user, partnership)
    overlaps = Overlap.objects.filter(partnership=partnership)
    if status:
        overlaps = overlaps.filter(status=status)
    return overlaps.select_related(*OVERLAP_RELATED).order_by("-created_at", "-id")


def get_overlap(*, user, partnership: Partnership, code) -> Overlap:
    partnership, _membership = _law_enforcement(user, partnership)
    parsed = _parse_code(code)
    overlap = (
        Overlap.objects.filter(partnership=partnership, code=parsed).select_related(*OVERLAP_RELATED).first()
        if parsed
        else None
    )
    if overlap is None:
        raise _not_found()
    overlap.partnership = partnership
    return overlap


# Summary -------------------------------------------------------------------------------------------


def _start_of_today() -> datetime:
    return timezone.make_aware(datetime.combine(clock.today(), time.min))


def registry_summary(*, user, partnership: Partnership) -> dict:
    """The registry's home page in at most four queries: the number of active alerts, by category (numbers
    only) for law enforcement and coordinators, the open hits of my unit (law enforcement) and my checks
    today.

    Other members see the total alone (``by_category`` is empty): a check never tells the category of an
    alert, and a category's count that drops by one after a partner's hit was confirmed would."""
    partnership, membership = member_scope(user, partnership)
    law_enforcement = permissions.is_law_enforcement(membership)
    active = Alert.objects.filter(partnership=partnership, status=AlertStatus.ACTIVE).order_by()
    by_category = []
    if law_enforcement or can_manage(membership):
        counts = dict(active.values_list("category").annotate(n=Count("id")))
        by_category = [
            {"category": value, "label": label, "count": counts[value]}
            for value, label in Category.choices
            if counts.get(value)
        ]
        total = sum(counts.values())
    else:
        total = active.count()
    open_hits = None
    if law_enforcement:
        open_hits = Hit.objects.filter(
            partnership=partnership, status=HitStatus.OPEN, alert__owner_id=membership.partner_id
        ).count()
    checks_today = Check.objects.filter(
        partnership_id=partnership.pk, user_id=user.pk, checked_at__gte=_start_of_today()
    ).count()
    return {
        "active_alerts": total,
        "by_category": by_category,
        "open_hits": open_hits,
        "checks_today": checks_today,
        "is_law_enforcement": law_enforcement,
        "can_check": permissions.can_check(membership),
    }
