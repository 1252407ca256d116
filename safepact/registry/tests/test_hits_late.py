"""Late hits: when an alert is registered or an identifier added, earlier checks of the identifier within the
partnership's retention window become late hits for the owning unit (once per alert and check), with one
notification per alert."""

from datetime import timedelta

import pytest
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.registry import services
from safepact.registry.models import Hit, HitKind, Identifier
from safepact.registry.tests.alerts_factories import (
    HIN_1,
    HIN_2,
    NOW,
    assert_no_secrets,
    boat_alert,
    engine,
    law_enforcement_in_b,
    logged_check,
    notified,
    recipients,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def test_a_check_ten_days_before_the_alert_becomes_a_late_hit(reg):
    check = logged_check(reg, when=NOW - timedelta(days=10))
    alert = boat_alert(reg)
    [hit] = Hit.objects.all()
    assert (hit.kind, hit.alert, hit.check_ref, hit.key) == (
        HitKind.LATE,
        alert,
        check.pk,
        "hin:NLXYZ98765E505",
    )
    assert (hit.checked_by, hit.checked_at, hit.context) == (reg.marina, check.checked_at, "offered_for_sale")
    assert hit.identifier == alert.identifiers.get(key="hin:NLXYZ98765E505")
    assert hit.created_at == NOW
    assert recipients("registry.hit") == ["coordinator@polisen.example", "officer@polisen.example"]
    [told] = {n.title: n for n in notified("registry.hit")}.values()
    assert told.title == f"Late hit on {alert.reference}"
    assert told.url == reverse("registry:hit", kwargs={"code": reg.partnership.code, "hit": hit.code})
    assert_no_secrets(notified())
    event = AuditEvent.objects.get(action="registry.hit.created")
    assert event.after == {"kind": "late", "reference": alert.reference, "status": "open"}
    # The partner whose earlier check it was is not named: they are never told of a late hit.
    assert (event.actor_code, event.actor_label) == ("", "SafePact (registry)")


@pytest.mark.parametrize(("days", "hits"), [(89, 1), (90, 1), (91, 0), (200, 0)])
def test_only_checks_within_the_retention_window(reg, days, hits):
    logged_check(reg, when=NOW - timedelta(days=days))
    boat_alert(reg)
    assert Hit.objects.count() == hits


def test_the_partnerships_own_retention_window(reg):
    logged_check(reg, when=NOW - timedelta(days=100))
    logged_check(reg, item=HIN_1, when=NOW - timedelta(days=20))
    services.settings_update(
        user=reg.police,
        partnership=reg.partnership,
        escalation_hours=12,
        retention_days=120,
        default_alert_days=365,
    )
    boat_alert(reg)
    assert Hit.objects.count() == 2
    Hit.objects.all().delete()
    services.settings_update(
        user=reg.police,
        partnership=reg.partnership,
        escalation_hours=12,
        retention_days=30,
        default_alert_days=365,
    )
    boat_alert(reg, by=reg.customs)
    assert list(Hit.objects.values_list("key", flat=True)) == ["hin:SEABC12345D404"]


def test_several_checks_make_several_hits_and_one_notification_per_person(reg):
    logged_check(reg, when=NOW - timedelta(days=30))
    logged_check(reg, when=NOW - timedelta(days=3), user=reg.city, context="repair")
    logged_check(reg, item=HIN_1, when=NOW - timedelta(hours=1))
    alert = boat_alert(reg)
    assert Hit.objects.filter(kind="late").count() == 3
    assert recipients("registry.hit") == ["coordinator@polisen.example", "officer@polisen.example"]
    assert {n.title for n in notified("registry.hit")} == {f"3 late hits on {alert.reference}"}
    assert {n.url for n in notified("registry.hit")} == {
        reverse("registry:hits", kwargs={"code": reg.partnership.code})
    }
    assert AuditEvent.objects.filter(action="registry.hit.created").count() == 3
    assert_no_secrets(notified())


def test_each_alert_sharing_the_identifier_gets_its_hit(reg):
    logged_check(reg, when=NOW - timedelta(days=3))
    police = boat_alert(reg)
    customs = boat_alert(reg, by=reg.customs, identifiers=[HIN_2])
    assert sorted(Hit.objects.values_list("alert", flat=True)) == [police.pk, customs.pk]
    # the customs unit heard of its own late hit and of the overlap
    assert recipients("registry.hit") == [
        "coordinator@polisen.example",
        "customs@tullverket.example",
        "officer@polisen.example",
    ]


def test_an_added_identifier_brings_late_hits(reg):
    alert = boat_alert(reg, identifiers=[engine(1)])
    logged_check(reg, item=HIN_1, when=NOW - timedelta(days=1))
    assert not Hit.objects.exists()
    services.identifier_add(user=reg.officer, alert=alert, **HIN_1)
    [hit] = Hit.objects.all()
    assert (hit.kind, hit.alert) == ("late", alert)


def test_detection_is_idempotent_and_never_repeats_a_live_hit(reg):
    logged_check(reg, when=NOW - timedelta(days=3))
    alert = boat_alert(reg)
    identifiers = list(Identifier.objects.filter(alert=alert))
    assert services.detect_late_hits(partnership=reg.partnership, identifiers=identifiers) == []
    # a check after the alert was registered hit it live (CHECKS records it with the check's id)
    live_check = logged_check(reg, item=HIN_1, when=NOW)
    Hit.objects.create(
        partnership=reg.partnership,
        alert=alert,
        check_ref=live_check.pk,
        key=live_check.key,
        checked_by=reg.marina,
        context="routine",
        checked_at=NOW,
    )
    assert services.detect_late_hits(partnership=reg.partnership, identifiers=identifiers) == []
    assert Hit.objects.count() == 2


@pytest.mark.parametrize("status", ["located", "withdrawn"])
def test_no_late_hits_for_alerts_that_are_not_active(reg, status):
    alert = boat_alert(reg, identifiers=[engine(1)])
    services.alert_set_status(user=reg.police, alert=alert, status=status)
    logged_check(reg, item=HIN_1, when=NOW - timedelta(days=1))
    services.identifier_add(user=reg.police, alert=alert, **HIN_1)
    assert not Hit.objects.exists()
    # active again: the checks in the window now count
    services.alert_set_status(user=reg.police, alert=alert, status="active")
    assert Hit.objects.filter(kind="late", alert=alert).count() == 1


def test_checks_in_another_partnership_do_not_count(reg):
    agent = law_enforcement_in_b(reg)
    from conftest import add_member, make_user

    dealer = make_user("dealer@parkstad.example", "Dirk Dealer")
    add_member(
        coordinator=reg.coordinator_b,
        partnership=reg.world.partnership_b,
        user=dealer,
        role="member",
        new_organisation={"name": "Botenhandel Parkstad", "kind": "business", "country": "NL"},
    )
    logged_check(reg, user=dealer, partnership=reg.world.partnership_b, when=NOW - timedelta(days=1))
    boat_alert(reg)
    assert not Hit.objects.exists()
    assert agent  # (B's own police would have had the hit on B's own alert)


def test_detection_works_in_chunks(reg, monkeypatch):
    from safepact.registry.services import alerts as module

    monkeypatch.setattr(module, "CHUNK", 2)
    items = [HIN_1, HIN_2, engine(1), engine(2), engine(3)]
    for item in items:
        logged_check(reg, item=item, when=NOW - timedelta(days=2))
        logged_check(reg, item=item, user=reg.city, when=NOW - timedelta(days=1))
    alert = boat_alert(reg, identifiers=items)
    assert Hit.objects.filter(alert=alert, kind="late").count() == 10
    assert {n.title for n in notified("registry.hit")} == {f"10 late hits on {alert.reference}"}
