"""Exporting alerts as JSON: contents, access, audit, query counts, and the round trip into another
partnership through the built-in ``safepact`` mapping."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.registry.models import Identifier
from safepact.registry.services import alert_set_status
from safepact.registry.services.transfer import (
    alerts_export,
    alerts_export_stream,
    import_alerts,
    import_owner,
)
from safepact.registry.tests.alerts_factories import NOW, boat_alert, engine, law_enforcement_in_b

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


IDENTIFIER_FIELDS = ("kind", "value", "manufacturer", "country", "document_type")


def test_export_holds_every_alert_with_its_identifiers(reg):
    boat = boat_alert(reg, action_note="Keep the keys.")
    other = boat_alert(
        reg, by=reg.customs, identifiers=[engine(1)], case_reference="T-2", category="boat_engine"
    )

    exported = alerts_export(user=reg.officer, partnership=reg.partnership)

    assert exported["format"] == "safepact-registry"
    assert exported["version"] == 1
    assert exported["partnership"] == str(reg.partnership.code)
    assert exported["exported_at"] == NOW.isoformat()
    first, second = exported["alerts"]
    assert first == {
        "reference": boat.reference,
        "category": "boat",
        "description": boat.description,
        "status": "active",
        "case_reference": "5000-K123456-26",
        "legal_basis": "Rättegångsbalken 27 kap.",
        "jurisdiction": "SE",
        "expires_on": boat.expires_on.isoformat(),
        "action": "hold",
        "action_note": "Keep the keys.",
        "owner": "Polisen Malmö",
        "identifiers": [
            {
                "kind": "hin",
                "value": "SEABC12345D404",
                "manufacturer": "",
                "country": "SE",
                "document_type": "",
            },
            {
                "kind": "hin",
                "value": "NLXYZ98765E505",
                "manufacturer": "",
                "country": "NL",
                "document_type": "",
            },
            {
                "kind": "engine",
                "value": "6ML1034567",
                "manufacturer": "Yamaha",
                "country": "",
                "document_type": "",
            },
        ],
    }
    assert (second["reference"], second["owner"], second["category"]) == (
        other.reference,
        "Tullverket Syd",
        "boat_engine",
    )
    json.dumps(exported)  # serialisable as it is


def test_export_by_status_and_audited(reg):
    boat_alert(reg)
    located = boat_alert(reg, identifiers=[engine(2)], case_reference="T-3")
    alert_set_status(user=reg.police, alert=located, status="located")
    before = AuditEvent.objects.count()

    exported = alerts_export(user=reg.police, partnership=reg.partnership, status="located")

    assert [a["case_reference"] for a in exported["alerts"]] == ["T-3"]
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.actor_label) == ("registry.export", reg.police.email)
    assert event.after == {"format": "json", "status": "located", "alerts": 1}
    with pytest.raises(ValidationError) as caught:
        alerts_export(user=reg.police, partnership=reg.partnership, status="lost")
    assert "status" in caught.value.message_dict


@pytest.mark.parametrize("who", ["marina", "city", "viewer"])
def test_only_law_enforcement_exports(reg, who):
    boat_alert(reg)
    with pytest.raises(PermissionDenied):
        alerts_export(user=getattr(reg, who), partnership=reg.partnership)
    with pytest.raises(PermissionDenied):
        alerts_export_stream(actor=getattr(reg, who), partnership=reg.partnership)
    assert not AuditEvent.objects.filter(action="registry.export").exists()


@pytest.mark.parametrize("who", ["outsider", "coordinator_b"])
def test_outsiders_get_404(reg, who):
    with pytest.raises(Http404):
        alerts_export(user=getattr(reg, who), partnership=reg.partnership)


@pytest.mark.parametrize("count", [1, 12])
def test_export_queries_do_not_grow_with_the_alerts(reg, count, django_assert_max_num_queries):
    for n in range(count):
        boat_alert(
            reg, identifiers=[engine(n), {"kind": "frame", "value": f"FR-{n:07d}"}], case_reference=f"C-{n}"
        )
    with django_assert_max_num_queries(8):
        exported = alerts_export(user=reg.police, partnership=reg.partnership)
    assert len(exported["alerts"]) == count
    assert all(len(a["identifiers"]) == 2 for a in exported["alerts"])


def test_stream_gives_the_same_json(reg):
    boat_alert(reg)
    boat_alert(reg, by=reg.customs, identifiers=[engine(3)], case_reference="T-4")
    whole = alerts_export(user=reg.police, partnership=reg.partnership)
    streamed = json.loads("".join(alerts_export_stream(actor=reg.police, partnership=reg.partnership)))
    assert streamed == whole
    assert AuditEvent.objects.filter(action="registry.export").count() == 2


def test_stream_of_an_empty_registry(reg):
    streamed = json.loads(
        "".join(alerts_export_stream(actor=None, partnership=reg.partnership, actor_label="x"))
    )
    assert streamed["alerts"] == []
    assert AuditEvent.objects.get(action="registry.export").actor_label == "x"


def test_round_trip_into_another_partnership(reg):
    boat = boat_alert(reg)
    bike = boat_alert(
        reg,
        by=reg.customs,
        identifiers=[
            {"kind": "frame", "value": "WTU 123456789K"},
            {"kind": "plate", "value": "ab-123-c", "country": "NL"},
            {"kind": "document", "value": "NXC1234567", "country": "NL", "document_type": "passport"},
        ],
        case_reference="T-5",
        category="bicycle",
        action="contact",
        action_note="Keep the receipt.",
        expires_on=NOW.date() + timedelta(days=400),
    )
    alert_set_status(user=reg.customs, alert=bike, status="located")
    exported = alerts_export(user=reg.police, partnership=reg.partnership)
    officer = law_enforcement_in_b(reg)
    b = reg.world.partnership_b

    report = import_alerts(
        actor=officer,
        partnership=b,
        owner=import_owner(partnership=b, actor=officer),
        data=json.dumps(exported).encode(),
        file_name="export.json",
        mapping="safepact",
    )

    assert report.counts["created"] == 2
    assert report.counts["rejected"] == 0
    again = alerts_export(user=officer, partnership=b)
    fields = (
        "category",
        "description",
        "status",
        "case_reference",
        "legal_basis",
        "jurisdiction",
        "expires_on",
        "action",
        "action_note",
        "identifiers",
    )
    assert [{f: a[f] for f in fields} for a in again["alerts"]] == [
        {f: a[f] for f in fields} for a in exported["alerts"]
    ]
    assert {a["owner"] for a in again["alerts"]} == {"Politie Limburg"}
    assert [a["reference"] for a in again["alerts"]] == ["REG-2026-000001", "REG-2026-000002"]
    assert set(Identifier.objects.filter(partnership=b).values_list("key", flat=True)) == set(
        Identifier.objects.filter(alert__in=[boat, bike]).values_list("key", flat=True)
    )
    # Importing the same export again merges the active alert into its copy, adds nothing, and still
    # creates the located one (only active alerts are merged by case reference).
    report = import_alerts(
        actor=officer,
        partnership=b,
        owner=import_owner(partnership=b, actor=officer),
        data=json.dumps(exported).encode(),
        file_name="export.json",
        mapping="safepact",
    )
    assert [(o.into, o.identifiers) for o in report.merged] == [("REG-2026-000001", 0)]
    assert report.counts["identifiers"] == 3
