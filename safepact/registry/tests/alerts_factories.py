"""Helpers for the alert, hit and daily-job tests (``test_alerts_*``, ``test_hits_*``, ``test_daily_*``).

``boat_alert`` (conftest) is the real path (``alert_create``); ``logged_check`` writes a row of the check log
straight through the ORM, as if a partner had checked an identifier at ``when``.
"""

from datetime import UTC, datetime

from conftest import add_member, make_user
from safepact.audit.models import AuditEvent
from safepact.notifications.models import Notification
from safepact.partnerships.selectors import membership_in
from safepact.registry import identifiers
from safepact.registry.models import Check
from safepact.registry.tests.conftest import boat_alert, make_officer

__all__ = [
    "HIN_1",
    "HIN_2",
    "NOW",
    "REGISTRY_ACTIONS",
    "SECRETS",
    "assert_no_secrets",
    "audit_actions",
    "boat_alert",
    "engine",
    "key_of",
    "law_enforcement_in_b",
    "logged_check",
    "notified",
    "recipients",
    "third_unit",
]

#: A Tuesday morning; the tests freeze the clock here.
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)

HIN_1 = {"kind": "hin", "value": "SE-ABC12345D404"}
HIN_2 = {"kind": "hin", "value": "NL-XYZ98765E505"}

#: What an alert holds that no notification may carry (the description, the case reference, the legal basis
#: and the identifiers, as typed and normalised).
SECRETS = (
    "Bayliner",
    "white hull",
    "blue stripe",
    "5000-K123456",
    "Rättegångsbalken",
    "ABC12345",
    "XYZ98765",
    "1034567",
    "Yamaha",
    "6ML",
)


#: Every action the registry writes to the audit trail.
REGISTRY_ACTIONS = (
    "registry.alert.created",
    "registry.alert.updated",
    "registry.alert.status_changed",
    "registry.alert.expired",
    "registry.identifier.added",
    "registry.identifier.removed",
    "registry.overlap.detected",
    "registry.overlap.resolved",
    "registry.hit.created",
    "registry.hit.decided",
    "registry.hit.escalated",
    "registry.search.close",
    "registry.settings.updated",
    "registry.checks.purged",
    "registry.batch.created",
    "registry.batch.finished",
    "registry.export",
    "registry.import",
)


def engine(n: int) -> dict:
    """A distinct engine number (no overlaps between alerts made with it)."""
    return {"kind": "engine", "manufacturer": "Mercury", "value": f"MX-{n:07d}"}


def key_of(item: dict) -> str:
    return identifiers.parse(
        item["kind"],
        item["value"],
        manufacturer=item.get("manufacturer", ""),
        country=item.get("country", ""),
        document_type=item.get("document_type", ""),
    ).key


def logged_check(
    reg, *, item: dict = HIN_2, when=NOW, user=None, context="offered_for_sale", partnership=None
):
    """A row of the check log: ``user`` (the marina by default) checked ``item`` at ``when``."""
    user = user or reg.marina
    partnership = partnership or reg.partnership
    membership = membership_in(user, partnership)
    return Check.objects.create(
        partnership=partnership,
        user=user,
        organisation=membership.partner.organisation,
        kind=item["kind"],
        key=key_of(item),
        context=context,
        checked_at=when,
    )


def notified(kind: str | None = None) -> list[Notification]:
    found = Notification.objects.order_by("id")
    return list(found.filter(kind=kind) if kind else found)


def recipients(kind: str) -> list[str]:
    return sorted(n.recipient.email for n in notified(kind))


def assert_no_secrets(notifications) -> None:
    """Titles and texts carry the partnership's reference at most: nothing of the alert itself."""
    for notification in notifications:
        text = f"{notification.title}\n{notification.body}".lower()
        for secret in SECRETS:
            assert secret.lower() not in text, (secret, notification.title, notification.body)
        assert notification.tlp == "amber"


def audit_actions(partnership, prefix: str = "registry.") -> list[str]:
    return list(
        AuditEvent.objects.filter(partnership_code=str(partnership.code), action__startswith=prefix)
        .order_by("seq")
        .values_list("action", flat=True)
    )


def law_enforcement_in_b(reg):
    """A police officer of partnership B (Politie Limburg), for "another partnership" cases."""
    officer = make_user("agent@politie.example", "Anke Agent")
    add_member(
        coordinator=reg.coordinator_b,
        partnership=reg.world.partnership_b,
        user=officer,
        role="member",
        new_organisation={"name": "Politie Limburg", "kind": "law_enforcement", "country": "NL"},
    )
    _flag_officer(officer, reg.world.partnership_b)
    return officer


def third_unit(reg):
    """A member of a third law-enforcement unit of partnership A (owns neither alert of an overlap)."""
    user = make_user("kustbevakning@kbv.example", "Kim Kustbevakning")
    add_member(
        coordinator=reg.police,
        partnership=reg.partnership,
        user=user,
        role="member",
        new_organisation={"name": "Kustbevakningen", "kind": "law_enforcement", "country": "SE"},
    )
    _flag_officer(user, reg.partnership)
    return user


def _flag_officer(user, partnership) -> None:
    """Platform staff flag the new member as a law-enforcement officer of the unit they joined."""
    make_officer(user, membership_in(user, partnership).partner.organisation)
