"""Hits: created when a check (live) or an earlier check in the retention window (late) matches an active
alert; decided by the owning unit; escalated when nobody handles them in time.

``hit_create`` sits on the check's hot path when a check hits, so it reads only what it needs (the alert's
reference and owner, the checking organisation's name, the checking person) and writes the hit, its audit
event and the owning unit's notification. Notifications carry only the partnership's reference and who
checked in which context, never the alert's description, case reference or identifiers, and are labelled
TLP:AMBER so that emails carry only the link.

The audit trail is read whole by every coordinator of the partnership, also those who are no police
officers, so hit events carry references only: the hit's kind, the alert's reference, the hit's status and
the escalation time; never the value checked, the key, the checking organisation or context, or the
unit's note. A live hit names the person who checked as its actor (their own check); a late hit names the
registry (the partner is never told of a late hit, and the check was no act of theirs at that time).
"""

import logging
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from safepact.accounts.models import Organisation
from safepact.audit.services import audit_record, audit_record_many
from safepact.lib import clock
from safepact.lib.tlp import TLP
from safepact.notifications.services import notify
from safepact.partnerships.models import Membership, Partnership, Role
from safepact.partnerships.selectors import ACTIVE_MEMBERSHIP, get_partnership_for_user
from safepact.registry import permissions
from safepact.registry.models import Alert, CheckContext, Hit, HitKind, HitStatus
from safepact.registry.selectors.alerts import settings_map

logger = logging.getLogger(__name__)

__all__ = ["escalate_due_hits", "hit_create", "hit_decide", "hits_create_many"]

NOTE_MAX = Hit._meta.get_field("note").max_length
ESCALATION_LABEL = "SafePact (hit escalation)"
#: The registry as the actor of what no person did: a late hit's audit event names it, not the partner
#: whose earlier check it was; so does an overlap found without a person (the import command).
SYSTEM_LABEL = "SafePact (registry)"
WRITE_ROLES = (Role.COORDINATOR, Role.MEMBER)


# Recipients ----------------------------------------------------------------------------------------


def _law_enforcement_members() -> Q:
    """Members with the write role of a law-enforcement partner whom platform staff flagged as officers
    (the same rule as ``permissions.is_law_enforcement``: the organisation's kind alone is no proof)."""
    from safepact.accounts.selectors import law_enforcement_officers

    officer = law_enforcement_officers().filter(
        user_id=OuterRef("user_id"), organisation_id=OuterRef("partner__organisation_id")
    )
    return Q(Exists(officer), role__in=WRITE_ROLES, partner__organisation__kind=permissions.LAW_ENFORCEMENT)


def unit_members(partner_ids) -> dict[int, list]:
    """The law-enforcement members (active, write role, active partner) of each owning unit, by partner id.
    One query."""
    ids = set(partner_ids)
    members: dict[int, list] = {pid: [] for pid in ids}
    if not ids:
        return members
    rows = (
        Membership.objects.filter(ACTIVE_MEMBERSHIP, _law_enforcement_members(), partner_id__in=ids)
        .filter(user__is_active=True)
        .select_related("user")
        .order_by("id")
    )
    for membership in rows:
        members[membership.partner_id].append(membership.user)
    return members


def hit_url(partnership: Partnership, hit: Hit) -> str:
    return reverse("registry:hit", kwargs={"code": partnership.code, "hit": hit.code})


# Create --------------------------------------------------------------------------------------------


@transaction.atomic
def hit_create(
    *,
    partnership_id: int,
    alert_id: int,
    identifier_id: int | None,
    key: str,
    checked_value: str,
    user_id: int,
    organisation_id: int,
    context: str,
    checked_at,
    check_id: int | None,
    kind: str = HitKind.LIVE,
    batch_id: int | None = None,
    batch_line: int | None = None,
    notify_owner: bool = True,
) -> Hit:
    """Record a hit of ``check_id`` on ``alert_id`` (once per alert and check: a second call returns the
    first hit), audit it and tell the owning unit's law-enforcement members (``notify_owner=False`` when the
    caller sends one summary, as late hits do)."""
    alert = (
        Alert.objects.select_related("partnership")
        .only("id", "reference", "category", "owner_id", "partnership__id", "partnership__code")
        .get(pk=alert_id, partnership_id=partnership_id)
    )
    partnership = alert.partnership
    hit = Hit(
        partnership_id=partnership_id,
        alert=alert,
        identifier_id=identifier_id,
        check_ref=check_id,
        kind=kind,
        key=key,
        checked_value=(checked_value or "")[:200],
        batch_id=batch_id,
        batch_line=batch_line,
        checked_by_id=user_id,
        checked_by_organisation_id=organisation_id,
        context=context,
        checked_at=checked_at,
        created_at=clock.now(),
    )
    if check_id is None:
        hit.save(force_insert=True)
    else:
        try:
            with transaction.atomic():
                hit.save(force_insert=True)
        except IntegrityError:
            existing = Hit.objects.filter(alert_id=alert_id, check_ref=check_id).first()
            if existing is None:
                raise
            return existing
    checker = get_user_model().objects.only("id", "code", "email", "is_active").filter(pk=user_id).first()
    organisation_name = (
        Organisation.objects.filter(pk=organisation_id).values_list("name", flat=True).first() or ""
    )
    context_label = CheckContext(context).label if context in CheckContext.values else context
    audit_record(**_hit_event(hit, partnership, checker, organisation_name))
    if notify_owner:
        if kind == HitKind.LATE:
            title = _("Late hit on %(reference)s") % {"reference": alert.reference}
        else:
            title = _("Hit on %(reference)s") % {"reference": alert.reference}
        notify(
            recipients=unit_members([alert.owner_id])[alert.owner_id],
            kind="registry.hit",
            title=title,
            body=_("Checked by %(organisation)s (%(context)s).")
            % {"organisation": organisation_name, "context": context_label},
            url=hit_url(partnership, hit),
            tlp=TLP.AMBER,
            partnership=partnership,
        )
    return hit


def _hit_event(hit: Hit, partnership: Partnership, checker, organisation_name: str) -> dict:
    """The ``registry.hit.created`` event of ``hit`` (keyword arguments of ``audit_record``): references
    only, and the checking person as actor of a live hit alone."""
    live = hit.kind == HitKind.LIVE
    return {
        "actor": checker if live else None,
        "actor_label": organisation_name if live else SYSTEM_LABEL,
        "action": "registry.hit.created",
        "target": hit,
        "partnership": partnership,
        "after": {"kind": hit.kind, "reference": hit.alert.reference, "status": hit.status},
    }


@transaction.atomic
def hits_create_many(
    *,
    partnership_id: int,
    user_id: int,
    organisation_id: int,
    context: str,
    checked_at,
    items: list[dict],
    kind: str = HitKind.LIVE,
    batch_id: int | None = None,
) -> list[Hit]:
    """``hit_create`` for many hits of one checking person at once (a chunk of a batch check): ``items``
    are dicts with ``alert_id``, ``identifier_id``, ``key``, ``checked_value``, ``check_id`` and
    ``batch_line``. The same rows and audit events as ``hit_create`` for each (one ``registry.hit.created``
    event per hit), written with one ``bulk_create`` each, and each owning unit told once per call: "Hit on
    REG-…" for one hit (linking to it), "3 hits on REG-…" for several on one alert, "40 hits on 12 alerts"
    for more (linking to the hits). A hit that exists already (same alert and check) is returned as it is.
    A handful of queries whatever the number of hits (a thousand notifications for a thousand hits cost
    as much as the rest of a batch of 100,000 rows)."""
    if not items:
        return []
    alerts = {
        alert.pk: alert
        for alert in Alert.objects.filter(
            pk__in={item["alert_id"] for item in items}, partnership_id=partnership_id
        ).only("id", "reference", "owner_id")
    }
    missing = {item["alert_id"] for item in items} - set(alerts)
    if missing:
        raise Alert.DoesNotExist(f"alerts {sorted(missing)} are not in partnership {partnership_id}")
    partnership = Partnership.objects.only("id", "code").get(pk=partnership_id)
    check_ids = {item["check_id"] for item in items if item["check_id"] is not None}
    existing: dict[tuple[int, int], Hit] = {}
    if check_ids:
        existing = {
            (hit.alert_id, hit.check_ref): hit
            for hit in Hit.objects.filter(alert_id__in=set(alerts), check_ref__in=check_ids)
        }
    now = clock.now()
    new: list[Hit] = []
    result: list[Hit] = []
    for item in items:
        found = existing.get((item["alert_id"], item["check_id"]))
        if found is not None:
            result.append(found)
            continue
        hit = Hit(
            partnership_id=partnership_id,
            alert=alerts[item["alert_id"]],
            identifier_id=item["identifier_id"],
            check_ref=item["check_id"],
            kind=kind,
            key=item["key"],
            checked_value=(item.get("checked_value") or "")[:200],
            batch_id=batch_id,
            batch_line=item.get("batch_line"),
            checked_by_id=user_id,
            checked_by_organisation_id=organisation_id,
            context=context,
            checked_at=checked_at,
            created_at=now,
        )
        if item["check_id"] is not None:
            existing[(item["alert_id"], item["check_id"])] = hit  # the same pair twice in items: once
        new.append(hit)
        result.append(hit)
    if not new:
        return result
    Hit.objects.bulk_create(new)
    checker = get_user_model().objects.only("id", "code", "email", "is_active").filter(pk=user_id).first()
    organisation_name = (
        Organisation.objects.filter(pk=organisation_id).values_list("name", flat=True).first() or ""
    )
    audit_record_many([_hit_event(hit, partnership, checker, organisation_name) for hit in new])
    by_owner: dict[int, list[Hit]] = {}
    for hit in new:
        by_owner.setdefault(hit.alert.owner_id, []).append(hit)
    members = unit_members(by_owner)
    context_label = CheckContext(context).label if context in CheckContext.values else context
    body = _("Checked by %(organisation)s (%(context)s).") % {
        "organisation": organisation_name,
        "context": context_label,
    }
    for owner_id, owner_hits in by_owner.items():
        notify(
            recipients=members[owner_id],
            kind="registry.hit",
            title=_hits_title(owner_hits, kind),
            body=body,
            url=hit_url(partnership, owner_hits[0])
            if len(owner_hits) == 1
            else reverse("registry:hits", kwargs={"code": partnership.code}),
            tlp=TLP.AMBER,
            partnership=partnership,
        )
    return result


def _hits_title(hits: list[Hit], kind: str) -> str:
    """The title of one unit's notification about ``hits`` (only partnership references)."""
    references = sorted({hit.alert.reference for hit in hits})
    count = len(hits)
    late = kind == HitKind.LATE
    if count == 1:
        if late:
            return _("Late hit on %(reference)s") % {"reference": references[0]}
        return _("Hit on %(reference)s") % {"reference": references[0]}
    if len(references) == 1:
        if late:
            return ngettext(
                "%(count)s late hit on %(reference)s", "%(count)s late hits on %(reference)s", count
            ) % {"count": count, "reference": references[0]}
        return ngettext("%(count)s hit on %(reference)s", "%(count)s hits on %(reference)s", count) % {
            "count": count,
            "reference": references[0],
        }
    values = {"count": count, "alerts": len(references)}
    if late:
        return _("%(count)s late hits on %(alerts)s alerts") % values
    return _("%(count)s hits on %(alerts)s alerts") % values


# Decide --------------------------------------------------------------------------------------------


@transaction.atomic
def hit_decide(*, user, hit: Hit, status: str, note: str = "") -> Hit:
    """The owning unit confirms or rejects an open hit; the checking person is told the outcome (only the
    outcome)."""
    partnership = get_partnership_for_user(user, hit.partnership.code, write=True)
    membership = partnership.membership
    permissions.ensure(permissions.can_see_alerts(membership))
    locked = (
        Hit.objects.select_for_update(of=("self",))
        .select_related("alert", "checked_by")
        .filter(pk=hit.pk, partnership=partnership)
        .first()
    )
    if locked is None:
        raise Http404(_("Not found."))
    permissions.ensure(
        permissions.can_decide_hit(membership, locked), _("Only the owning unit can decide on this hit.")
    )
    if locked.status != HitStatus.OPEN:
        raise ValidationError({"status": _("This hit has already been decided.")})
    if status not in (HitStatus.CONFIRMED, HitStatus.REJECTED):
        raise ValidationError({"status": _("Choose confirmed or rejected.")})
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("This can be at most %(max)s characters.") % {"max": NOTE_MAX}})
    now = clock.now()
    locked.status = status
    locked.note = note
    locked.decided_by = user
    locked.decided_at = now
    locked.save(update_fields=["status", "note", "decided_by", "decided_at"])
    locked.partnership = partnership
    audit_record(
        actor=user,
        action="registry.hit.decided",
        target=locked,
        partnership=partnership,
        before={"status": HitStatus.OPEN},
        after={"status": status, "reference": locked.alert.reference},
    )
    if status == HitStatus.CONFIRMED:
        title = _("Your check: confirmed — the police will contact you")
    else:
        title = _("Your check: not confirmed")
    # A late hit was "no hit" when the partner checked: telling them now, either way, would tip them off.
    tell_checker = locked.kind == HitKind.LIVE
    notify(
        recipients=[locked.checked_by] if tell_checker else [],
        kind="registry.hit.decided",
        title=title,
        url=reverse("registry:checks", kwargs={"code": partnership.code}),
        tlp=TLP.AMBER,
        partnership=partnership,
    )
    return locked


# Escalate ------------------------------------------------------------------------------------------


def _escalation_recipients(partnership_id: int) -> tuple[list, list]:
    """All law-enforcement members of the partnership (they may open the hit), and its other coordinators
    (told that a hit waits, with a link to the registry's home page: the hit's page is not theirs to read)."""
    rows = (
        Membership.objects.filter(ACTIVE_MEMBERSHIP, partner__partnership_id=partnership_id)
        .filter(Q(role=Role.COORDINATOR) | _law_enforcement_members())
        .filter(user__is_active=True)
        .select_related("user")
        .order_by("id")
    )
    police = set(
        Membership.objects.filter(ACTIVE_MEMBERSHIP, partner__partnership_id=partnership_id)
        .filter(_law_enforcement_members())
        .values_list("pk", flat=True)
    )
    law_enforcement = [m.user for m in rows if m.pk in police]
    others = [m.user for m in rows if m.pk not in police and m.user not in law_enforcement]
    return law_enforcement, others


def _escalate_partnership(partnership: Partnership, hours: int, now) -> int:
    with transaction.atomic():
        due = list(
            Hit.objects.select_for_update(of=("self",))
            .select_related("alert")
            .filter(
                partnership=partnership,
                status=HitStatus.OPEN,
                escalated_at__isnull=True,
                created_at__lte=now - timedelta(hours=hours),
            )
            .order_by("created_at", "id")
        )
        if not due:
            return 0
        Hit.objects.filter(pk__in=[hit.pk for hit in due]).update(escalated_at=now)
        law_enforcement, coordinators = _escalation_recipients(partnership.pk)
        for hit in due:
            hit.escalated_at = now
            audit_record(
                actor_label=ESCALATION_LABEL,
                action="registry.hit.escalated",
                target=hit,
                partnership=partnership,
                after={"kind": hit.kind, "reference": hit.alert.reference, "hours": hours},
            )
            title = ngettext(
                "Unhandled hit on %(reference)s for %(hours)s hour",
                "Unhandled hit on %(reference)s for %(hours)s hours",
                hours,
            ) % {"reference": hit.alert.reference, "hours": hours}
            notify(
                recipients=law_enforcement,
                kind="registry.hit.escalated",
                title=title,
                url=hit_url(partnership, hit),
                tlp=TLP.AMBER,
                partnership=partnership,
            )
            # Coordinators outside law enforcement learn only that a hit waits (no reference: it is not
            # theirs to read), with a link to the registry's home page.
            notify(
                recipients=coordinators,
                kind="registry.hit.escalated",
                title=ngettext(
                    "A hit in the registry has waited for the police unit for more than %(hours)s hour",
                    "A hit in the registry has waited for the police unit for more than %(hours)s hours",
                    hours,
                )
                % {"hours": hours},
                url=reverse("registry:home", kwargs={"code": partnership.code}),
                tlp=TLP.AMBER,
                partnership=partnership,
            )
        return len(due)


def escalate_due_hits() -> int:
    """Escalate every open hit that nobody decided within its partnership's ``escalation_hours`` (once
    each: ``escalated_at``). Returns the number escalated. One partnership's trouble does not stop the
    others (its changes roll back and the next round tries again)."""
    now = clock.now()
    waiting = set(
        Hit.objects.filter(
            status=HitStatus.OPEN, escalated_at__isnull=True, created_at__lte=now - timedelta(hours=1)
        )
        .order_by()
        .values_list("partnership_id", flat=True)
        .distinct()
    )
    if not waiting:
        return 0
    settings = settings_map(waiting)
    escalated = 0
    for partnership in Partnership.objects.filter(pk__in=waiting).only("id", "code").order_by("id"):
        try:
            escalated += _escalate_partnership(partnership, settings[partnership.pk].escalation_hours, now)
        except Exception:
            logger.exception("Escalating the hits of partnership %s failed", partnership.code)
    return escalated
