"""Overlaps: two alerts of a partnership sharing an identifier are recorded once (per pair and key) and both
owning units are told, with the references only; either owner resolves it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.registry import selectors, services
from safepact.registry.models import Identifier, Overlap, OverlapStatus
from safepact.registry.tests.alerts_factories import (
    HIN_1,
    HIN_2,
    NOW,
    assert_no_secrets,
    boat_alert,
    engine,
    law_enforcement_in_b,
    notified,
    recipients,
    third_unit,
)

pytestmark = pytest.mark.django_db

POLICE_UNIT = ["coordinator@polisen.example", "officer@polisen.example"]


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def test_the_same_boat_reported_by_two_units_is_an_overlap_and_both_are_told(reg):
    police = boat_alert(reg)
    customs = boat_alert(
        reg, by=reg.customs, identifiers=[{"kind": "hin", "value": "nl xyz 98765 e505"}, engine(1)]
    )
    [overlap] = Overlap.objects.all()
    assert (overlap.first, overlap.second, overlap.key) == (police, customs, "hin:NLXYZ98765E505")
    assert overlap.status == OverlapStatus.OPEN
    assert recipients("registry.overlap") == sorted([*POLICE_UNIT, "customs@tullverket.example"])
    titles = {n.title for n in notified("registry.overlap")}
    assert titles == {"Two alerts share an identifier: REG-2026-000001 and REG-2026-000002"}
    assert {n.url for n in notified("registry.overlap")} == {
        reverse("registry:overlaps", kwargs={"code": reg.partnership.code})
    }
    assert_no_secrets(notified())
    event = AuditEvent.objects.get(action="registry.overlap.detected")
    assert event.actor_code == str(reg.customs.code)
    assert event.after == {"first": police.reference, "second": customs.reference, "kind": "hin"}
    assert event.target_label == f"{police.reference} / {customs.reference}"


def test_detection_is_idempotent(reg):
    boat_alert(reg)
    boat_alert(reg, by=reg.customs, identifiers=[HIN_1, HIN_2])
    assert Overlap.objects.count() == 2  # two shared hull numbers: one overlap per key
    identifiers = list(Identifier.objects.all())
    assert services.detect_overlaps(partnership=reg.partnership, identifiers=identifiers) == []
    assert Overlap.objects.count() == 2
    assert AuditEvent.objects.filter(action="registry.overlap.detected").count() == 2


def test_three_alerts_sharing_one_identifier_make_three_pairs(reg):
    a = boat_alert(reg, identifiers=[HIN_1])
    b = boat_alert(reg, by=reg.customs, identifiers=[HIN_1])
    c = boat_alert(reg, by=reg.officer, identifiers=[HIN_1, engine(1)])
    assert set(Overlap.objects.values_list("first", "second")) == {
        (a.pk, b.pk),
        (a.pk, c.pk),
        (b.pk, c.pk),
    }


def test_the_same_unit_reporting_twice_is_told_too(reg):
    boat_alert(reg, identifiers=[HIN_1])
    boat_alert(reg, by=reg.officer, identifiers=[HIN_1])
    assert Overlap.objects.count() == 1
    assert recipients("registry.overlap") == POLICE_UNIT  # one notification each


def test_an_added_identifier_makes_an_overlap(reg):
    boat_alert(reg)
    other = boat_alert(reg, by=reg.customs, identifiers=[engine(1)])
    assert not Overlap.objects.exists()
    services.identifier_add(
        user=reg.customs, alert=other, kind="engine", manufacturer="YAMAHA", value="6ML 1034567"
    )
    [overlap] = Overlap.objects.all()
    assert overlap.key == "engine:YAMAHA:6ML1034567"
    assert len(notified("registry.overlap")) == 3


def test_withdrawn_alerts_do_not_overlap(reg):
    old = boat_alert(reg)
    services.alert_set_status(user=reg.police, alert=old, status="withdrawn")
    boat_alert(reg, by=reg.customs, identifiers=[HIN_2])
    assert not Overlap.objects.exists()
    # brought back: now they overlap
    services.alert_set_status(user=reg.police, alert=old, status="active")
    assert Overlap.objects.count() == 1


def test_located_alerts_still_overlap(reg):
    old = boat_alert(reg)
    services.alert_set_status(user=reg.police, alert=old, status="located")
    boat_alert(reg, by=reg.customs, identifiers=[HIN_2])
    assert Overlap.objects.count() == 1


def test_alerts_of_another_partnership_never_overlap(reg):
    boat_alert(reg)
    agent = law_enforcement_in_b(reg)
    services.alert_create(
        user=agent,
        partnership=reg.world.partnership_b,
        category="boat",
        description="A boat.",
        case_reference="PL-1",
        legal_basis="Sv",
        jurisdiction="NL",
        identifiers=[HIN_2],
    )
    assert not Overlap.objects.exists()
    assert notified() == []


def test_detection_works_in_chunks(reg, monkeypatch):
    from safepact.registry.services import alerts as module

    monkeypatch.setattr(module, "CHUNK", 2)
    boat_alert(reg, identifiers=[HIN_1, HIN_2, engine(1), engine(2), engine(3)])
    boat_alert(reg, by=reg.customs, identifiers=[engine(3), engine(2), HIN_1, engine(9)])
    assert Overlap.objects.count() == 3


# Resolving -----------------------------------------------------------------------------------------


@pytest.fixture
def overlap(reg):
    boat_alert(reg)
    boat_alert(reg, by=reg.customs, identifiers=[HIN_2])
    return Overlap.objects.get()


@pytest.mark.parametrize("persona", ["police", "officer", "customs"])
def test_either_owning_unit_resolves_it(reg, overlap, persona):
    resolved = services.overlap_resolve(user=getattr(reg, persona), overlap=overlap, status="same_object")
    assert resolved.status == OverlapStatus.SAME_OBJECT
    assert resolved.resolved_by == getattr(reg, persona)
    assert resolved.resolved_at == NOW
    event = AuditEvent.objects.get(action="registry.overlap.resolved")
    assert event.after["status"] == "same_object"
    assert "XYZ98765" not in event.target_label and event.target_label.startswith("REG-")


@pytest.mark.parametrize("status", ["different_objects", "dismissed"])
def test_the_other_outcomes(reg, overlap, status):
    assert services.overlap_resolve(user=reg.police, overlap=overlap, status=status).status == status


def test_a_resolved_overlap_cannot_be_resolved_again(reg, overlap):
    services.overlap_resolve(user=reg.police, overlap=overlap, status="dismissed")
    with pytest.raises(ValidationError) as excinfo:
        services.overlap_resolve(user=reg.customs, overlap=overlap, status="same_object")
    assert set(excinfo.value.message_dict) == {"status"}


@pytest.mark.parametrize("status", ["open", "maybe"])
def test_an_unknown_outcome_is_refused(reg, overlap, status):
    with pytest.raises(ValidationError) as excinfo:
        services.overlap_resolve(user=reg.police, overlap=overlap, status=status)
    assert set(excinfo.value.message_dict) == {"status"}


@pytest.mark.parametrize(
    ("persona", "error"),
    [
        ("marina", PermissionDenied),
        ("city", PermissionDenied),
        ("viewer", PermissionDenied),
        ("outsider", Http404),
        ("coordinator_b", Http404),
    ],
)
def test_others_may_not_resolve_it(reg, overlap, persona, error):
    with pytest.raises(error):
        services.overlap_resolve(user=getattr(reg, persona), overlap=overlap, status="dismissed")
    overlap.refresh_from_db()
    assert overlap.status == OverlapStatus.OPEN


def test_a_third_law_enforcement_unit_sees_it_but_may_not_resolve_it(reg, overlap):
    kbv = third_unit(reg)
    assert selectors.get_overlap(user=kbv, partnership=reg.partnership, code=overlap.code) == overlap
    with pytest.raises(PermissionDenied):
        services.overlap_resolve(user=kbv, overlap=overlap, status="dismissed")


# Reading -------------------------------------------------------------------------------------------


def test_overlap_list_and_get(reg, overlap, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        rows = list(selectors.overlap_list(user=reg.customs, partnership=reg.partnership))
        assert [(o.first.owner.organisation.name, o.second.owner.organisation.name) for o in rows] == [
            ("Polisen Malmö", "Tullverket Syd")
        ]
    assert (
        list(selectors.overlap_list(user=reg.police, partnership=reg.partnership, status="dismissed")) == []
    )
    assert (
        selectors.get_overlap(user=reg.police, partnership=reg.partnership, code=str(overlap.code)) == overlap
    )
    with pytest.raises(Http404):
        selectors.get_overlap(user=reg.police, partnership=reg.partnership, code="not-a-code")
    with pytest.raises(PermissionDenied):
        selectors.overlap_list(user=reg.marina, partnership=reg.partnership)
    with pytest.raises(Http404):
        selectors.overlap_list(user=reg.outsider, partnership=reg.partnership)
