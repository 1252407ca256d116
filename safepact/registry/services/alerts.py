"""Writes for alerts and their identifiers, overlaps, the close-identifier search and the registry settings.

Only law-enforcement members create alerts, and only members of the owning unit change them (``permissions``).
Every service is keyword-only and atomic, re-checks the actor's scope inside its transaction (404 for
outsiders, 403 without the role), refuses bad input with a ``ValidationError`` naming the field before
anything is stored, and writes an audit event in the same transaction. The audit trail is read and
exported whole by every coordinator of the partnership, also those who are no police officers, so its
events carry references only (``REG-2026-000042``, status, category, action, expiry date, owning unit,
identifier kinds, counts; their targets are labelled by ``registry.audit_labels``), as notifications do:
never descriptions, case references, legal bases, jurisdictions, notes for the partner, identifier values
or keys, or reasons typed with a change. Those stay on the registry's own pages, which only law
enforcement opens.

Adding identifiers (a new alert, ``identifier_add``, an import) runs ``detect_overlaps`` (another alert of
the partnership with the same identifier: both owning units are told) and ``detect_late_hits`` (checks of the
identifier in the retention window become late hits for the owning unit). Both are set-based and chunked, so
an import of a million alerts can call them once.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Max
from django.db.models.functions import Cast, Length, Substr
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_countries import countries
from rapidfuzz.distance import Levenshtein

from safepact.audit.selectors import register_action_labels
from safepact.audit.services import audit_record, audit_record_changes
from safepact.lib import clock
from safepact.lib.tlp import TLP
from safepact.notifications.services import notify
from safepact.partnerships.models import Partnership
from safepact.partnerships.selectors import get_partnership_for_user
from safepact.registry import identifiers as ids
from safepact.registry import permissions
from safepact.registry.audit_labels import identifier_label
from safepact.registry.models import (
    Alert,
    AlertStatus,
    Category,
    Check,
    Hit,
    HitAction,
    HitKind,
    Identifier,
    IdentifierKind,
    Overlap,
    OverlapStatus,
    RegistrySettings,
    check_weeks,
)
from safepact.registry.selectors.alerts import settings_for
from safepact.registry.services.hits import SYSTEM_LABEL, hit_create, hit_url, unit_members

__all__ = [
    "CloseMatch",
    "alert_create",
    "alert_references",
    "alert_set_status",
    "alert_update",
    "close_identifier_search",
    "detect_late_hits",
    "detect_overlaps",
    "identifier_add",
    "identifier_remove",
    "overlap_resolve",
    "settings_update",
]

CHUNK = 500
MAX_IDENTIFIERS = 50
ESCALATION_RANGE = (1, 168)
ALERT_DAYS_RANGE = (1, 7300)
#: Alert fields an owning unit changes with ``alert_update``.
ALERT_FIELDS = (
    "category",
    "description",
    "case_reference",
    "legal_basis",
    "jurisdiction",
    "action",
    "action_note",
    "expires_on",
)
#: Alert fields whose values an audit event may carry (fixed choices and the expiry date); a change of any
#: other field (what the unit typed, and the jurisdiction) is recorded by the field's name alone.
AUDITED_VALUES = ("category", "action", "expires_on")
#: Statuses a person sets; ``expired`` is set only by the daily job.
SETTABLE_STATUSES = (AlertStatus.ACTIVE, AlertStatus.LOCATED, AlertStatus.WITHDRAWN)


def register() -> None:
    register_action_labels(
        {
            "registry.alert.created": gettext_lazy("Alert registered"),
            "registry.alert.updated": gettext_lazy("Alert changed"),
            "registry.alert.status_changed": gettext_lazy("Status of an alert changed"),
            "registry.alert.expired": gettext_lazy("Alert expired"),
            "registry.identifier.added": gettext_lazy("Identifier added to an alert"),
            "registry.identifier.removed": gettext_lazy("Identifier removed from an alert"),
            "registry.overlap.detected": gettext_lazy("Two alerts share an identifier"),
            "registry.overlap.resolved": gettext_lazy("Overlap of two alerts resolved"),
            "registry.hit.created": gettext_lazy("Hit on an alert"),
            "registry.hit.decided": gettext_lazy("Hit confirmed or rejected"),
            "registry.hit.escalated": gettext_lazy("Unhandled hit escalated"),
            "registry.search.close": gettext_lazy("Search for close identifiers"),
            "registry.settings.updated": gettext_lazy("Registry settings changed"),
            "registry.checks.purged": gettext_lazy("Check log purged after the retention period"),
            "registry.batch.created": gettext_lazy("Batch check uploaded"),
            "registry.batch.finished": gettext_lazy("Batch check finished"),
            "registry.export": gettext_lazy("Alerts exported"),
            "registry.import": gettext_lazy("Alerts imported"),
        },
        {
            "registry": gettext_lazy("Registry"),
            "registry.alert": gettext_lazy("Alerts"),
            "registry.identifier": gettext_lazy("Identifiers"),
            "registry.overlap": gettext_lazy("Overlaps"),
            "registry.hit": gettext_lazy("Hits"),
            "registry.search": gettext_lazy("Close-identifier search"),
            "registry.settings": gettext_lazy("Registry settings"),
            "registry.checks": gettext_lazy("Check log"),
            "registry.batch": gettext_lazy("Batch checks"),
        },
    )


# Helpers -------------------------------------------------------------------------------------------


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _scope(user, partnership: Partnership, *, write: bool = True) -> tuple[Partnership, object]:
    partnership = get_partnership_for_user(user, partnership.code, write=write)
    return partnership, partnership.membership


def _lock_alert(user, alert: Alert) -> tuple[Partnership, object, Alert]:
    """Re-check the user's scope, lock and re-read the alert; only its owning unit may go on."""
    partnership, membership = _scope(user, alert.partnership)
    permissions.ensure(permissions.can_see_alerts(membership))
    locked = (
        Alert.objects.select_for_update(of=("self",))
        .select_related("owner__organisation")
        .filter(pk=alert.pk, partnership=partnership)
        .first()
    )
    if locked is None:
        raise Http404(_("Not found."))
    permissions.ensure(
        permissions.can_change_alert(membership, locked), _("Only the owning unit can change this alert.")
    )
    locked.partnership = partnership
    return partnership, membership, locked


def _text(errors: dict, field: str, value, *, required: bool, limit: int) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Enter text.")
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("This can be at most %(max)s characters.") % {"max": limit}
    return value


def _limit(name: str) -> int:
    return Alert._meta.get_field(name).max_length


def _choice(errors: dict, field: str, value, choices) -> str:
    if value not in choices.values:
        errors[field] = _("Choose one of the offered options.")
    return value


def _country(errors: dict, field: str, value) -> str:
    value = (value or "").strip().upper() if isinstance(value, str) else ""
    if len(value) != 2 or countries.alpha2(value) != value:
        errors[field] = _("Enter a known country code (ISO 3166, e.g. NL).")
    return value


def _date(
    errors: dict, field: str, value, *, default: date | None = None, unchanged: date | None = None
) -> date | None:
    """A date not in the past; ``unchanged`` (the alert's current date) is accepted as it is, so that an
    expired or located alert can be corrected without inventing a new expiry date."""
    if value in (None, "") and default is not None:
        return default
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, date):
        errors[field] = _("Enter a date (YYYY-MM-DD).")
        return None
    if value < clock.today() and value != unchanged:
        errors[field] = _("The expiry date cannot be in the past.")
    return value


def _whole_number(errors: dict, field: str, value, low: int, high: int) -> int | None:
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    else:
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            number = None
    if number is None:
        errors[field] = _("Enter a whole number.")
        return None
    if not low <= number <= high:
        errors[field] = _("Enter a number between %(low)s and %(high)s.") % {"low": low, "high": high}
        return None
    return number


def _parse(kind, value, manufacturer="", country="", document_type="") -> ids.Parsed:
    return ids.parse(
        kind,
        value,
        manufacturer=manufacturer or "",
        country=country or "",
        document_type=document_type or "",
    )


def _parse_items(items) -> tuple[list[ids.Parsed], list[str]]:
    """Parse the identifiers of a new alert: (parsed, problems by position, "Identifier 2: ...")."""
    if not isinstance(items, (list, tuple)) or not items:
        return [], [_("Give at least one identifier.")]
    if len(items) > MAX_IDENTIFIERS:
        return [], [_("An alert can have at most %(max)s identifiers.") % {"max": MAX_IDENTIFIERS}]
    parsed, problems, seen = [], [], {}
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.append(
                _("Identifier %(n)s: %(message)s") % {"n": position, "message": _("Give a kind and a value.")}
            )
            continue
        try:
            one = _parse(
                item.get("kind"),
                item.get("value"),
                item.get("manufacturer", ""),
                item.get("country", ""),
                item.get("document_type", ""),
            )
        except ids.IdentifierError as error:
            problems.append(_("Identifier %(n)s: %(message)s") % {"n": position, "message": str(error)})
            continue
        if one.key in seen:
            problems.append(
                _("Identifier %(n)s is the same as identifier %(first)s.")
                % {"n": position, "first": seen[one.key]}
            )
            continue
        seen[one.key] = position
        parsed.append(one)
    return parsed, problems


def _identifier(partnership: Partnership, alert: Alert, parsed: ids.Parsed, user) -> Identifier:
    return Identifier(
        partnership=partnership,
        alert=alert,
        kind=parsed.kind,
        manufacturer=parsed.manufacturer,
        country=parsed.country,
        document_type=parsed.document_type,
        value=parsed.value,
        key=parsed.key,
        warnings=list(parsed.warnings),
        added_by=user,
        added_at=clock.now(),
    )


# References ----------------------------------------------------------------------------------------


def _lock_references(partnership_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"safepact-registry-ref:{partnership_id}"]
            )
    # SQLite: transactions start IMMEDIATE (settings), so writers are already serialised.


def _last_number(partnership_id: int, prefix: str) -> int:
    references = Alert.objects.filter(partnership_id=partnership_id, reference__startswith=prefix)
    last = references.order_by("-reference").values_list("reference", flat=True).first()
    if last is None:
        return 0
    tail = last[len(prefix) :]
    if tail.isdigit() and int(tail) < 999_999:
        return int(tail)
    # Past six digits, wider numbers sort before "999999": take the numeric maximum of the year.
    numbered = references.annotate(width=Length("reference")).filter(width__gte=len(prefix) + 6)
    found = numbered.filter(reference__regex=r"^REG-[0-9]{4}-[0-9]+$").aggregate(
        top=Max(Cast(Substr("reference", len(prefix) + 1), BigIntegerField()))
    )["top"]
    return found or 0


def alert_references(*, partnership: Partnership, count: int = 1) -> list[str]:
    """The next ``count`` references of the partnership for this year (``REG-2026-000042``), in order.
    Call inside the transaction that creates the alerts: it serialises the writers of one partnership."""
    if not connection.in_atomic_block:
        raise RuntimeError("alert_references must run inside the transaction that creates the alerts")
    _lock_references(partnership.pk)
    prefix = f"REG-{clock.today().year}-"
    start = _last_number(partnership.pk, prefix)
    return [f"{prefix}{number:06d}" for number in range(start + 1, start + count + 1)]


# Alerts --------------------------------------------------------------------------------------------


def _alert_snapshot(alert: Alert) -> dict:
    return {
        "category": alert.category,
        "description": alert.description,
        "case_reference": alert.case_reference,
        "legal_basis": alert.legal_basis,
        "jurisdiction": alert.jurisdiction,
        "action": alert.action,
        "action_note": alert.action_note,
        "expires_on": alert.expires_on.isoformat() if alert.expires_on else None,
    }


def _clean_alert_fields(errors: dict, fields: dict, current: Alert | None = None) -> dict:
    cleaned: dict = {}
    if "category" in fields:
        cleaned["category"] = _choice(errors, "category", fields["category"], Category)
    for name, required in (
        ("description", True),
        ("case_reference", True),
        ("legal_basis", True),
        ("action_note", False),
    ):
        if name in fields:
            cleaned[name] = _text(errors, name, fields[name], required=required, limit=_limit(name))
    if "jurisdiction" in fields:
        cleaned["jurisdiction"] = _country(errors, "jurisdiction", fields["jurisdiction"])
    if "action" in fields:
        cleaned["action"] = _choice(errors, "action", fields["action"], HitAction)
    if "expires_on" in fields:
        cleaned["expires_on"] = _date(
            errors, "expires_on", fields["expires_on"], unchanged=current.expires_on if current else None
        )
    return cleaned


@transaction.atomic
def alert_create(
    *,
    user,
    partnership: Partnership,
    category: str,
    description: str,
    case_reference: str,
    legal_basis: str,
    jurisdiction: str,
    identifiers: list[dict],
    action: str = HitAction.HOLD,
    action_note: str = "",
    expires_on=None,
) -> Alert:
    """Register an object as stolen or wanted, owned by the user's own unit, with its identifiers; then tell
    the owners of alerts sharing an identifier, and turn earlier checks of its identifiers into late hits."""
    partnership, membership = _scope(user, partnership)
    permissions.ensure(permissions.can_create_alert(membership))
    errors: dict = {}
    fields = {
        "category": category,
        "description": description,
        "case_reference": case_reference,
        "legal_basis": legal_basis,
        "jurisdiction": jurisdiction,
        "action": action,
        "action_note": action_note,
    }
    cleaned = _clean_alert_fields(errors, fields)
    default_expiry = clock.today() + timedelta(days=settings_for(partnership).default_alert_days)
    cleaned["expires_on"] = _date(errors, "expires_on", expires_on, default=default_expiry)
    parsed, problems = _parse_items(identifiers)
    if problems:
        errors["identifiers"] = problems
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    alert = Alert(
        partnership=partnership,
        owner=membership.partner,
        created_by=user,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
        **cleaned,
    )
    for attempt in range(5):
        alert.reference = alert_references(partnership=partnership)[0]
        try:
            with transaction.atomic():
                alert.save(force_insert=True)
            break
        except IntegrityError:
            if (
                attempt == 4
                or Alert.objects.filter(partnership=partnership, reference=alert.reference).count() == 0
            ):
                raise
            alert.pk = None
    created = Identifier.objects.bulk_create([_identifier(partnership, alert, one, user) for one in parsed])
    audit_record(
        actor=user,
        action="registry.alert.created",
        target=alert,
        partnership=partnership,
        after={
            "reference": alert.reference,
            "category": alert.category,
            "status": alert.status,
            "owner": membership.partner.organisation.name,
            "expires_on": alert.expires_on.isoformat(),
            "action": alert.action,
            "identifiers": [identifier.kind for identifier in created],
        },
    )
    detect_overlaps(partnership=partnership, identifiers=created, actor=user)
    detect_late_hits(partnership=partnership, identifiers=created)
    return alert


@transaction.atomic
def alert_update(*, user, alert: Alert, **fields) -> Alert:
    """Change an alert's details (owning unit only). The audit event names the changed fields, with the old
    and new values of ``AUDITED_VALUES`` only."""
    errors = {name: _("This field cannot be changed here.") for name in fields if name not in ALERT_FIELDS}
    if errors:
        raise ValidationError(errors)
    partnership, _membership, locked = _lock_alert(user, alert)
    cleaned = _clean_alert_fields(errors, fields, current=locked)
    if errors:
        raise ValidationError(errors)
    before = _alert_snapshot(locked)
    for name, value in cleaned.items():
        setattr(locked, name, value)
    after = _alert_snapshot(locked)
    if after != before:
        locked.updated_at = clock.now()
        locked.save(update_fields=[*cleaned, "updated_at"])
        changed = [name for name in ALERT_FIELDS if before[name] != after[name]]
        shown = [name for name in changed if name in AUDITED_VALUES]
        audit_record(
            actor=user,
            action="registry.alert.updated",
            target=locked,
            partnership=partnership,
            before={name: before[name] for name in shown} or None,
            after={
                "reference": locked.reference,
                "changed": changed,
                **{name: after[name] for name in shown},
            },
        )
    return locked


@transaction.atomic
def alert_set_status(*, user, alert: Alert, status: str, reason: str = "") -> Alert:
    """Mark an alert located or withdrawn, or active again (only while its expiry date has not passed).
    ``expired`` is set by the daily job alone. ``reason`` (optional, at most 500 characters) is kept on the
    alert as ``status_note``, which only law enforcement reads; the audit event carries the reference and
    the two statuses only (a reason typed by the unit is case data)."""
    partnership, _membership, locked = _lock_alert(user, alert)
    if status == AlertStatus.EXPIRED:
        raise ValidationError({"status": _("Alerts expire by themselves on their expiry date.")})
    if status not in SETTABLE_STATUSES:
        raise ValidationError({"status": _("Choose active, located or withdrawn.")})
    if status == locked.status:
        raise ValidationError({"status": _("The alert already has this status.")})
    if status == AlertStatus.ACTIVE and locked.expires_on < clock.today():
        raise ValidationError(
            {"status": _("The expiry date has passed: set a new expiry date before making the alert active.")}
        )
    errors: dict = {}
    reason = _text(errors, "reason", reason, required=False, limit=_limit("status_note"))
    if errors:
        raise ValidationError(errors)
    before = locked.status
    locked.status = status
    locked.status_note = reason
    locked.status_changed_at = locked.updated_at = clock.now()
    locked.save(update_fields=["status", "status_note", "status_changed_at", "updated_at"])
    audit_record(
        actor=user,
        action="registry.alert.status_changed",
        target=locked,
        partnership=partnership,
        before={"status": before},
        after={"status": status, "reference": locked.reference},
    )
    if before == AlertStatus.WITHDRAWN or status == AlertStatus.ACTIVE:
        current = list(locked.identifiers.all())
        if before == AlertStatus.WITHDRAWN:
            # Withdrawn alerts are left out of overlaps: one that counts again (active or located) may
            # share an identifier with an alert registered meanwhile.
            detect_overlaps(partnership=partnership, identifiers=current, actor=user)
        if status == AlertStatus.ACTIVE:
            detect_late_hits(partnership=partnership, identifiers=current)
    return locked


# Identifiers ---------------------------------------------------------------------------------------


@transaction.atomic
def identifier_add(
    *,
    user,
    alert: Alert,
    kind: str,
    value: str,
    manufacturer: str = "",
    country: str = "",
    document_type: str = "",
) -> Identifier:
    """Add an identifier to an alert (owning unit only); then overlaps and late hits for it."""
    partnership, _membership, locked = _lock_alert(user, alert)
    try:
        parsed = _parse(kind, value, manufacturer, country, document_type)
    except ids.IdentifierError as error:
        raise ValidationError({error.field: str(error)}) from None
    existing = Identifier.objects.filter(alert=locked)
    if existing.filter(key=parsed.key).exists():
        raise ValidationError({"value": _("This alert already has this identifier.")})
    if existing.count() >= MAX_IDENTIFIERS:
        raise ValidationError(
            {"value": _("An alert can have at most %(max)s identifiers.") % {"max": MAX_IDENTIFIERS}}
        )
    identifier = _identifier(partnership, locked, parsed, user)
    identifier.save(force_insert=True)
    Alert.objects.filter(pk=locked.pk).update(updated_at=clock.now())
    audit_record(
        actor=user,
        action="registry.identifier.added",
        target=identifier,
        partnership=partnership,
        target_label=identifier_label(identifier, locked.reference),
        after={"reference": locked.reference, "kind": identifier.kind, "identifier": identifier.pk},
    )
    detect_overlaps(partnership=partnership, identifiers=[identifier], actor=user)
    detect_late_hits(partnership=partnership, identifiers=[identifier])
    return identifier


@transaction.atomic
def identifier_remove(*, user, identifier: Identifier, reason: str = "") -> None:
    """Remove an identifier from an alert (owning unit only); an alert keeps at least one. ``reason`` is
    accepted for compatibility and not kept: the audit event carries the reference, the identifier's kind
    and its id only."""
    partnership, _membership, locked = _lock_alert(user, identifier.alert)
    current = Identifier.objects.filter(alert=locked, pk=identifier.pk).first()
    if current is None:
        raise Http404(_("Not found."))
    if Identifier.objects.filter(alert=locked).count() <= 1:
        raise ValidationError(
            {
                "identifier": _(
                    "An alert needs at least one identifier: add another one before removing this one."
                )
            }
        )
    audit_record(
        actor=user,
        action="registry.identifier.removed",
        target=current,
        target_label=identifier_label(current, locked.reference),
        partnership=partnership,
        before={"reference": locked.reference, "kind": current.kind, "identifier": current.pk},
    )
    current.delete()
    Alert.objects.filter(pk=locked.pk).update(updated_at=clock.now())


# Overlaps ------------------------------------------------------------------------------------------


def detect_overlaps(*, partnership: Partnership, identifiers: list[Identifier], actor=None) -> list[Overlap]:
    """Record each new pair of alerts of the partnership that share an identifier with ``identifiers``
    (withdrawn alerts left out; a pair and key is recorded once) and tell both owning units."""
    given: dict[str, set[int]] = defaultdict(set)
    for identifier in identifiers:
        given[identifier.key].add(identifier.alert_id)
    pairs: set[tuple[int, int, str]] = set()
    for chunk in _chunks(list(given)):
        sharing: dict[str, set[int]] = defaultdict(set)
        rows = (
            Identifier.objects.filter(partnership_id=partnership.pk, key__in=chunk)
            .exclude(alert__status=AlertStatus.WITHDRAWN)
            .values_list("key", "alert_id")
        )
        for key, alert_id in rows:
            sharing[key].add(alert_id)
        for key, alert_ids in sharing.items():
            for first in given[key] & alert_ids:
                for second in alert_ids - {first}:
                    pairs.add((min(first, second), max(first, second), key))
    if not pairs:
        return []
    known: set[tuple[int, int, str]] = set()
    for chunk in _chunks(sorted({key for _first, _second, key in pairs})):
        known.update(
            Overlap.objects.filter(partnership_id=partnership.pk, key__in=chunk).values_list(
                "first_id", "second_id", "key"
            )
        )
    new = sorted(pairs - known)
    if not new:
        return []
    alert_ids = sorted({pk for first, second, _key in new for pk in (first, second)})
    alerts: dict[int, Alert] = {}
    for chunk in _chunks(alert_ids):
        alerts.update(
            {a.pk: a for a in Alert.objects.filter(pk__in=chunk).only("id", "reference", "owner_id")}
        )
    now = clock.now()
    created = Overlap.objects.bulk_create(
        [
            Overlap(
                partnership=partnership, first=alerts[first], second=alerts[second], key=key, created_at=now
            )
            for first, second, key in new
        ]
    )
    members = unit_members({alert.owner_id for alert in alerts.values()})
    url = reverse("registry:overlaps", kwargs={"code": partnership.code})
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    for overlap in created:
        first, second = overlap.first, overlap.second
        audit_record(
            actor=actor if authenticated else None,
            actor_label="" if authenticated else SYSTEM_LABEL,
            action="registry.overlap.detected",
            target=overlap,
            partnership=partnership,
            after={
                "first": first.reference,
                "second": second.reference,
                "kind": overlap.key.split(":", 1)[0],
            },
        )
        notify(
            recipients=members[first.owner_id] + members[second.owner_id],
            kind="registry.overlap",
            title=_("Two alerts share an identifier: %(first)s and %(second)s")
            % {"first": first.reference, "second": second.reference},
            url=url,
            tlp=TLP.AMBER,
            partnership=partnership,
        )
    return created


@transaction.atomic
def overlap_resolve(*, user, overlap: Overlap, status: str) -> Overlap:
    """Either owning unit says what an open overlap is: the same object, different objects, or dismissed."""
    partnership, membership = _scope(user, overlap.partnership)
    permissions.ensure(permissions.can_see_alerts(membership))
    locked = (
        Overlap.objects.select_for_update(of=("self",))
        .select_related("first", "second")
        .filter(pk=overlap.pk, partnership=partnership)
        .first()
    )
    if locked is None:
        raise Http404(_("Not found."))
    permissions.ensure(
        permissions.can_resolve_overlap(membership, locked),
        _("Only the owning units of the two alerts can resolve this overlap."),
    )
    if locked.status != OverlapStatus.OPEN:
        raise ValidationError({"status": _("This overlap has already been resolved.")})
    if status not in OverlapStatus.values or status == OverlapStatus.OPEN:
        raise ValidationError({"status": _("Choose same object, different objects or dismissed.")})
    locked.status = status
    locked.resolved_by = user
    locked.resolved_at = clock.now()
    locked.save(update_fields=["status", "resolved_by", "resolved_at"])
    locked.partnership = partnership
    audit_record(
        actor=user,
        action="registry.overlap.resolved",
        target=locked,
        partnership=partnership,
        before={"status": OverlapStatus.OPEN},
        after={"status": status, "first": locked.first.reference, "second": locked.second.reference},
    )
    return locked


# Late hits -----------------------------------------------------------------------------------------


def detect_late_hits(*, partnership: Partnership, identifiers: list[Identifier]) -> list[Hit]:
    """Turn checks of ``identifiers`` in the partnership's retention window into late hits on their active
    alerts (once per alert and check), and tell each owning unit once per alert how many there are."""
    alert_ids = sorted({identifier.alert_id for identifier in identifiers})
    active: dict[int, Alert] = {}
    for chunk in _chunks(alert_ids):
        active.update(
            {
                a.pk: a
                for a in Alert.objects.filter(
                    pk__in=chunk, partnership_id=partnership.pk, status=AlertStatus.ACTIVE
                ).only("id", "reference", "owner_id")
            }
        )
    targets: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for identifier in identifiers:
        if identifier.alert_id in active:
            targets[identifier.key].append((identifier.alert_id, identifier.pk))
    if not targets:
        return []
    now = clock.now()
    since = now - timedelta(days=settings_for(partnership).retention_days)
    weeks = check_weeks(since, now)  # the index's leading columns: one seek per week and key
    created: list[Hit] = []
    for chunk in _chunks(sorted(targets)):
        checks = list(
            Check.objects.filter(
                partnership_id=partnership.pk, week__in=weeks, key__in=chunk, checked_at__gte=since
            )
            .order_by("checked_at", "id")
            .values("id", "key", "user_id", "organisation_id", "context", "checked_at", "batch_id")
        )
        if not checks:
            continue
        chunk_alerts = {alert_id for key in chunk for alert_id, _pk in targets[key]}
        done: set[tuple[int, int]] = set()
        for check_chunk in _chunks([check["id"] for check in checks]):
            done.update(
                Hit.objects.filter(alert_id__in=chunk_alerts, check_ref__in=check_chunk).values_list(
                    "alert_id", "check_ref"
                )
            )
        for check in checks:
            for alert_id, identifier_id in targets[check["key"]]:
                if (alert_id, check["id"]) in done:
                    continue
                done.add((alert_id, check["id"]))
                created.append(
                    hit_create(
                        partnership_id=partnership.pk,
                        alert_id=alert_id,
                        identifier_id=identifier_id,
                        key=check["key"],
                        checked_value="",
                        user_id=check["user_id"],
                        organisation_id=check["organisation_id"],
                        context=check["context"],
                        checked_at=check["checked_at"],
                        check_id=check["id"],
                        kind=HitKind.LATE,
                        batch_id=check["batch_id"],
                        notify_owner=False,
                    )
                )
    _notify_late_hits(partnership, created, active)
    return created


def _notify_late_hits(partnership: Partnership, hits: list[Hit], alerts: dict[int, Alert]) -> None:
    by_alert: dict[int, list[Hit]] = defaultdict(list)
    for hit in hits:
        by_alert[hit.alert_id].append(hit)
    if not by_alert:
        return
    members = unit_members({alerts[alert_id].owner_id for alert_id in by_alert})
    for alert_id, alert_hits in by_alert.items():
        alert = alerts[alert_id]
        count = len(alert_hits)
        if count == 1:
            title = _("Late hit on %(reference)s") % {"reference": alert.reference}
            url = hit_url(partnership, alert_hits[0])
        else:
            title = ngettext(
                "%(count)s late hit on %(reference)s",
                "%(count)s late hits on %(reference)s",
                count,
            ) % {"count": count, "reference": alert.reference}
            url = reverse("registry:hits", kwargs={"code": partnership.code})
        notify(
            recipients=members[alert.owner_id],
            kind="registry.hit",
            title=title,
            body=_("Partners checked this object before it was registered, within the retention period."),
            url=url,
            tlp=TLP.AMBER,
            partnership=partnership,
        )


# Close-identifier search ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CloseMatch:
    identifier: Identifier
    alert: Alert
    distance: int


@transaction.atomic
def close_identifier_search(
    *, user, partnership: Partnership, kind: str, value: str, max_distance: int = 2, limit: int = 50
) -> list[CloseMatch]:
    """Identifiers of the same kind in the partnership that are one or two characters away from ``value``
    after folding look-alike characters (0/O, 1/I/L, 5/S, 8/B, 2/Z): law enforcement's search for typos.
    Partners are refused (they check exact identifiers only). Audited with the kind and the number found."""
    partnership, membership = _scope(user, partnership, write=False)
    permissions.ensure(permissions.can_search(membership))
    errors: dict = {}
    if kind not in IdentifierKind.values:
        errors["kind"] = _("Choose one of the offered options.")
    if not isinstance(value, str) or not value.strip():
        errors["value"] = _("This field is required.")
    if max_distance not in (1, 2):
        errors["max_distance"] = _("Choose 1 or 2 characters.")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 200:
        errors["limit"] = _("Enter a number between %(low)s and %(high)s.") % {"low": 1, "high": 200}
    if errors:
        raise ValidationError(errors)
    query = ids.fuzzy_form(kind, value)
    if not query:
        raise ValidationError({"value": _("Enter letters or digits.")})
    candidates = (
        Identifier.objects.filter(partnership_id=partnership.pk, kind=kind)
        .annotate(length=Length("value"))
        .filter(length__gte=max(1, len(query) - max_distance), length__lte=len(query) + max_distance)
        .values_list("id", "value")
    )
    found: list[tuple[int, str, int]] = []
    for pk, stored in candidates.iterator(chunk_size=5000):
        distance = Levenshtein.distance(query, ids.fuzzy_form(kind, stored), score_cutoff=max_distance)
        if distance <= max_distance:
            found.append((distance, stored, pk))
    found.sort()
    found = found[:limit]
    objects = Identifier.objects.filter(pk__in=[pk for _d, _v, pk in found]).select_related(
        "alert__owner__organisation"
    )
    by_pk = {identifier.pk: identifier for identifier in objects}
    matches = [
        CloseMatch(identifier=by_pk[pk], alert=by_pk[pk].alert, distance=distance)
        for distance, _value, pk in found
        if pk in by_pk
    ]
    audit_record(
        actor=user,
        action="registry.search.close",
        partnership=partnership,
        after={"kind": kind, "max_distance": max_distance, "count": len(matches)},
    )
    return matches


# Settings ------------------------------------------------------------------------------------------


def _settings_snapshot(current: RegistrySettings) -> dict:
    return {
        "escalation_hours": current.escalation_hours,
        "retention_days": current.retention_days,
        "default_alert_days": current.default_alert_days,
    }


@transaction.atomic
def settings_update(
    *, user, partnership: Partnership, escalation_hours, retention_days, default_alert_days
) -> RegistrySettings:
    """Change the partnership's registry settings (coordinators): the hours before an unhandled hit
    escalates (1 to 168), how long checks are kept (within the platform's floor and ceiling) and the
    default lifetime of an alert in days."""
    partnership, membership = _scope(user, partnership, write=False)
    permissions.ensure(
        permissions.can_change_settings(membership), _("Only coordinators of this partnership can do this.")
    )
    errors: dict = {}
    low, high = django_settings.SAFEPACT_REGISTRY_RETENTION
    cleaned = {
        "escalation_hours": _whole_number(errors, "escalation_hours", escalation_hours, *ESCALATION_RANGE),
        "retention_days": _whole_number(errors, "retention_days", retention_days, int(low), int(high)),
        "default_alert_days": _whole_number(
            errors, "default_alert_days", default_alert_days, *ALERT_DAYS_RANGE
        ),
    }
    if errors:
        raise ValidationError(errors)
    # Lock the partnership: with no settings row yet, two first saves at once would both insert.
    Partnership.objects.select_for_update().filter(pk=partnership.pk).first()
    current = RegistrySettings.objects.select_for_update().filter(partnership=partnership).first()
    current = current or RegistrySettings(partnership=partnership)
    before = _settings_snapshot(current)
    for name, number in cleaned.items():
        setattr(current, name, number)
    current.updated_at = clock.now()
    current.save()
    audit_record_changes(
        actor=user,
        action="registry.settings.updated",
        target=partnership,
        partnership=partnership,
        before=before,
        after=_settings_snapshot(current),
    )
    return current
