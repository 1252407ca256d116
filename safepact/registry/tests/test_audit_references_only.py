"""Registry events in the audit trail carry references only (decision 0007).

The partnership's audit trail is one hash chain that every coordinator reads and exports whole, also a
coordinator who is no police officer (the city's). So every registry event carries the partnership's
reference (``REG-2026-…``), statuses, categories, actions, expiry dates, the owning unit's name,
identifier kinds and ids, hit kinds, counts and settings, and never what law enforcement or a checking
partner typed: descriptions, case references, legal bases, notes for the partner, identifier values and
keys, the values partners checked, reasons, the unit's notes on hits, file names and file contents.

One story makes every kind of registry event (alert created, updated, identifier added and removed, status
changed and expired, late and live hits, a batch, hits confirmed and rejected with notes, escalation,
overlaps detected and resolved, close-identifier search, import, export, settings and the check-log purge);
then the city's coordinator reads the trail page (every page), the API list, and the JSON and CSV exports
of the page and the API: none holds a secret of the story, every event is there with its reference, and
the exported chain still verifies.
"""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse

from safepact.accounts.sudo import SESSION_KEY
from safepact.audit.chain import verify
from safepact.audit.models import AuditEvent
from safepact.audit.services import target_label_of
from safepact.lib import clock
from safepact.registry import services
from safepact.registry.audit_labels import LABELS
from safepact.registry.models import Alert, BatchCheck, Check, Hit, HitKind, ImportRun, Overlap
from safepact.registry.services.transfer import import_alerts
from safepact.registry.tests.alerts_factories import NOW, REGISTRY_ACTIONS
from safepact.registry.tests.checks_factories import csv_file
from safepact.registry.tests.test_review_security import city_coordinator
from safepact.registry.tests.transfer_factories import MAPPINGS, sample

pytestmark = pytest.mark.django_db

API = "/api/v1"

#: What the police unit, customs, the marina and the import typed: none of it may reach the trail.
POLICE_ALERT = {
    "category": "boat",
    "description": "Bayliner VR5, white hull, blue stripe; stolen from Limhamn harbour.",
    "case_reference": "5000-K123456-26",
    "legal_basis": "Rättegångsbalken 27 kap.",
    "jurisdiction": "SE",
    "action": "hold",
    "action_note": "Ring Nils Nattskift on 040-555 12 34.",
    "identifiers": [
        {"kind": "hin", "value": "SE-ABC12345D404"},
        {"kind": "hin", "value": "NL-XYZ98765E505"},
        {"kind": "engine", "manufacturer": "Yamaha", "value": "6ML-1034567"},
    ],
}
CUSTOMS_ALERT = {
    "category": "boat",
    "description": "Quicksilver Activ 555 seized in Trelleborg, papers forged.",
    "case_reference": "TULL-2026-4711",
    "legal_basis": "Smugglingslagen 3 §",
    "jurisdiction": "SE",
    "identifiers": [{"kind": "hin", "value": "NL-XYZ98765E505"}],
}
SHORT_LIVED_ALERT = {
    "category": "bicycle",
    "description": "Cargo bike Babboe Curve, green box.",
    "case_reference": "5000-K999999-26",
    "legal_basis": "Brottsbalken 8 kap.",
    "jurisdiction": "SE",
    "identifiers": [{"kind": "frame", "value": "WBK-2288445"}],
}
SECRETS = (
    # the alerts as typed, and as changed
    "Bayliner",
    "white hull",
    "blue stripe",
    "5000-K123456",
    "Rättegångsbalken",
    "Nattskift",
    "040-555",
    "Quicksilver",
    "Trelleborg",
    "TULL-2026",
    "Smugglingslagen",
    "Babboe",
    "5000-K999999",
    "Brottsbalken",
    "K-SECRET-9",
    "red stripe",
    "Laga 27",
    "Ring Pia",
    # identifier values and keys (as typed and normalised), added and removed
    "ABC12345",
    "XYZ98765",
    "1034567",
    "Yamaha",
    "6ML",
    "2288445",
    "Mercury",
    "7654321",
    "ABC12345D405",
    # what partners checked and uploaded
    "nl xyz",
    "stolen-stock-list",
    "KMA45678",
    # reasons and notes
    "Found on a trailer in Ystad",
    "Stolen again",
    "Typing error by Olle",
    "Seller arrested at the marina",
    "Wrong boat, owner known to us",
    # the import: its file, mapping and contents
    "secret-import-file",
    "nl_boats_columns",
    "PL1700",
    "blauwe streep",
    "Beneteau",
    "Art. 94 Sv",
    "1122334",
)
#: Every kind of registry event the story makes.
ACTIONS = set(REGISTRY_ACTIONS)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def create(reg, by, values, **extra):
    return services.alert_create(user=by, partnership=reg.partnership, **values, **extra)


def story(reg) -> dict:
    """Every kind of registry event, with a secret in everything anyone typed. Returns the alerts."""
    partnership = reg.partnership
    # The marina checks a hull number before it is registered: a late hit once it is.
    services.check_identifier(
        user=reg.marina, membership=reg.m_marina, kind="hin", value="se abc12345 d404", context="purchase"
    )
    police = create(reg, reg.police, POLICE_ALERT)
    services.alert_update(
        user=reg.police,
        alert=police,
        description="Bayliner VR5, white hull, red stripe.",
        case_reference="K-SECRET-9",
        legal_basis="Laga 27 kap.",
        action_note="Ring Pia on the day shift.",
        jurisdiction="DK",
        action="contact",
        expires_on=NOW.date() + timedelta(days=400),
    )
    added = services.identifier_add(
        user=reg.officer, alert=police, kind="engine", manufacturer="Mercury", value="MX-7654321"
    )
    services.identifier_remove(user=reg.police, identifier=added, reason="Typing error by Olle")
    services.alert_set_status(
        user=reg.officer, alert=police, status="located", reason="Found on a trailer in Ystad"
    )
    services.alert_set_status(user=reg.police, alert=police, status="active", reason="Stolen again")
    # Customs reports the same hull: an overlap, which customs resolves.
    customs = create(reg, reg.customs, CUSTOMS_ALERT)
    services.overlap_resolve(user=reg.customs, overlap=Overlap.objects.get(), status="same_object")
    short = create(reg, reg.police, SHORT_LIVED_ALERT, expires_on=NOW.date() + timedelta(days=1))
    # The marina checks the shared hull as it typed it: a live hit on both alerts.
    services.check_identifier(
        user=reg.marina, membership=reg.m_marina, kind="hin", value="nl xyz98765 e505", context="repair"
    )
    # ... and uploads its stock list: a live hit again, through a batch.
    batch = services.batch_create(
        user=reg.marina,
        membership=reg.m_marina,
        file=csv_file("kind,value\nhin,se-abc12345-d404\nvin,WBA71DC010CH14720\n", "stolen-stock-list.csv"),
        context="storage",
    )
    services.batch_run(batch_id=batch.pk)
    live_police = Hit.objects.filter(alert=police, kind=HitKind.LIVE, batch__isnull=True).get()
    live_customs = Hit.objects.get(alert=customs, kind=HitKind.LIVE)
    services.hit_decide(
        user=reg.officer, hit=live_police, status="confirmed", note="Seller arrested at the marina"
    )
    services.hit_decide(
        user=reg.customs, hit=live_customs, status="rejected", note="Wrong boat, owner known to us"
    )
    services.close_identifier_search(
        user=reg.police, partnership=partnership, kind="hin", value="SE-ABC12345D405"
    )
    import_alerts(
        actor=reg.police,
        partnership=partnership,
        owner=reg.m_police.partner,
        data=sample("nl_boats_columns.csv"),
        file_name="secret-import-file.csv",
        mapping=str(MAPPINGS / "nl_boats_columns.json"),
    )
    services.alerts_export(user=reg.police, partnership=partnership)
    services.settings_update(
        user=reg.police,
        partnership=partnership,
        escalation_hours=6,
        retention_days=60,
        default_alert_days=365,
    )
    # Nobody decides the late hit: it escalates; months later the short-lived alert expires and the
    # checks go.
    clock.advance(timedelta(hours=7))
    assert services.escalate_due_hits() >= 1
    clock.advance(timedelta(days=70))
    totals = services.run_daily()
    assert totals["expired"] >= 1 and totals["checks_deleted"] >= 1
    return {"police": police, "customs": customs, "short": short}


def with_sudo(client):
    session = client.session
    session[SESSION_KEY] = clock.now().timestamp() + 600
    session.save()
    return client


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def assert_no_secrets(text: str, where: str) -> None:
    folded = text.casefold()
    found = [secret for secret in SECRETS if secret.casefold() in folded]
    assert not found, f"{where} shows {found}"


@pytest.fixture
def told(reg):
    with clock.frozen(NOW):
        alerts = story(reg)
        yield alerts


def test_the_story_makes_every_kind_of_registry_event(reg, told):
    actions = set(
        AuditEvent.objects.filter(
            partnership_code=str(reg.partnership.code), action__startswith="registry."
        ).values_list("action", flat=True)
    )
    assert actions == ACTIONS


def test_no_registry_event_stores_a_secret(reg, told):
    for event in AuditEvent.objects.filter(partnership_code=str(reg.partnership.code)):
        assert_no_secrets(
            json.dumps(event.chain_fields(), ensure_ascii=False), f"{event.action} #{event.seq}"
        )


def test_a_coordinator_who_is_no_police_officer_reads_references_only_on_the_trail_page(
    reg, told, client_for
):
    client = client_for(city_coordinator(reg))
    url = reverse("audit:trail", args=[reg.partnership.code])
    first = client.get(url)
    assert first.status_code == 200
    pages = [first.content.decode()]
    number = 2
    while f"page={number}" in pages[-1]:
        pages.append(client.get(url, {"page": number}).content.decode())
        number += 1
    html = "\n".join(pages)
    assert html.count('<tr id="event-') == AuditEvent.objects.filter(chain=str(reg.partnership.code)).count()
    assert_no_secrets(html, "the trail page")
    # The events are still there, with their references: the trail stays useful.
    for alert in told.values():
        assert alert.reference in html
    assert "registry.hit.escalated" in html and "registry.import" in html


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_the_exports_carry_references_only_and_verify(reg, told, client_for, fmt):
    client = with_sudo(client_for(city_coordinator(reg)))
    page_export = body(client.post(reverse("audit:export", args=[reg.partnership.code, fmt])))
    api_export = body(client.get(f"{API}/partnerships/{reg.partnership.code}/audit/export", {"format": fmt}))
    for where, text in (("the page's export", page_export), ("the API's export", api_export)):
        assert_no_secrets(text, f"{where} ({fmt})")
        if fmt == "json":
            events = json.loads(text)["events"]
            assert verify(events) == []
        else:
            events = list(csv.DictReader(io.StringIO(text)))
        registry = [e for e in events if e["action"].startswith("registry.")]
        assert {e["action"] for e in registry} == ACTIONS
        assert told["police"].reference in text and told["customs"].reference in text


def test_the_api_list_carries_references_only(reg, told, client_for):
    client = client_for(city_coordinator(reg))
    url = f"{API}/partnerships/{reg.partnership.code}/audit"
    first = client.get(url, {"limit": 100}).json()
    items, offset = list(first["items"]), 100
    while offset < first["count"]:
        items += client.get(url, {"limit": 100, "offset": offset}).json()["items"]
        offset += 100
    assert len(items) == first["count"]
    assert_no_secrets(json.dumps(items, ensure_ascii=False), "the API list")


def registry_events(reg, action: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(partnership_code=str(reg.partnership.code), action=action).order_by("seq")
    )


def test_each_event_keeps_its_reference(reg, told):
    police, customs, short = told["police"], told["customs"], told["short"]
    [created, *_others] = registry_events(reg, "registry.alert.created")
    assert created.after == {
        "reference": police.reference,
        "category": "boat",
        "status": "active",
        "owner": "Polisen Malmö",
        "expires_on": (NOW.date() + timedelta(days=3650)).isoformat(),
        "action": "hold",
        "identifiers": ["hin", "hin", "engine"],
    }
    assert created.target_label == f"{police.reference} (Boat)"
    [updated] = registry_events(reg, "registry.alert.updated")
    assert updated.after["reference"] == police.reference
    assert updated.after["changed"] == [
        "description",
        "case_reference",
        "legal_basis",
        "jurisdiction",
        "action",
        "action_note",
        "expires_on",
    ]
    assert updated.before == {"action": "hold", "expires_on": created.after["expires_on"]}
    added, removed = (
        registry_events(reg, "registry.identifier.added")[0],
        registry_events(reg, "registry.identifier.removed")[0],
    )
    assert added.after["reference"] == removed.before["reference"] == police.reference
    assert added.after["kind"] == removed.before["kind"] == "engine"
    assert added.target_code == removed.target_code
    assert removed.reason == ""
    statuses = registry_events(reg, "registry.alert.status_changed")
    assert [(e.before, e.after, e.reason) for e in statuses] == [
        ({"status": "active"}, {"status": "located", "reference": police.reference}, ""),
        ({"status": "located"}, {"status": "active", "reference": police.reference}, ""),
    ]
    [expired] = registry_events(reg, "registry.alert.expired")
    assert expired.after["reference"] == short.reference
    [detected, *_more] = registry_events(reg, "registry.overlap.detected")
    assert detected.after == {"first": police.reference, "second": customs.reference, "kind": "hin"}
    assert detected.target_label == f"{police.reference} / {customs.reference}"
    [resolved] = registry_events(reg, "registry.overlap.resolved")
    assert resolved.after == {"status": "same_object", "first": police.reference, "second": customs.reference}
    hits = registry_events(reg, "registry.hit.created")
    assert {e.target_code for e in hits} == {str(code) for code in Hit.objects.values_list("code", flat=True)}
    for event in hits:
        assert set(event.after) == {"kind", "reference", "status"}
        assert event.after["reference"].startswith("REG-2026-")
        # A late hit does not name the partner whose earlier check it was.
        if event.after["kind"] == "late":
            assert (event.actor_code, event.actor_label) == ("", "SafePact (registry)")
    decided = registry_events(reg, "registry.hit.decided")
    assert [e.after for e in decided] == [
        {"status": "confirmed", "reference": police.reference},
        {"status": "rejected", "reference": customs.reference},
    ]
    for event in registry_events(reg, "registry.hit.escalated"):
        assert event.after["hours"] == 6 and event.after["reference"].startswith("REG-2026-")
    [batch_created] = registry_events(reg, "registry.batch.created")
    [batch_finished] = registry_events(reg, "registry.batch.finished")
    assert batch_created.target_label == batch_finished.target_label == "Batch check of 2 rows"
    assert batch_finished.after["hits"] == 1
    [imported] = registry_events(reg, "registry.import")
    assert imported.after["owner"] == "Polisen Malmö" and imported.after["created"] == 3
    assert imported.target_label == "Alert import"
    assert imported.target_code == str(ImportRun.objects.get().code)
    [exported] = registry_events(reg, "registry.export")
    assert exported.after["alerts"] == Alert.objects.filter(partnership=reg.partnership).count()
    [setting] = registry_events(reg, "registry.settings.updated")
    assert setting.after == {"escalation_hours": 6, "retention_days": 60, "default_alert_days": 365}
    [purged] = registry_events(reg, "registry.checks.purged")
    assert purged.after["checks"] >= 2 and purged.after["retention_days"] == 60
    [search] = registry_events(reg, "registry.search.close")
    assert search.after["kind"] == "hin"


# The label functions themselves ---------------------------------------------------------------------


def test_every_registry_model_whose_name_says_too_much_has_a_label(reg):
    """``Identifier``, ``Check``, ``Overlap``, ``BatchCheck`` and ``ImportRun`` show a value, a key or a
    file name as their ``str``: an event about any of them (also one written by code that passes no label)
    gets the registered label instead."""
    with clock.frozen(NOW):
        police = create(reg, reg.police, POLICE_ALERT)
        create(reg, reg.customs, CUSTOMS_ALERT)
        identifier = police.identifiers.get(kind="engine")
        check = Check(pk=7, key="hin:NLXYZ98765E505")
        overlap = Overlap.objects.select_related("first", "second").get()
        batch = BatchCheck(file_name="stolen-stock-list.csv", total=12)
        run = ImportRun(file_name="secret-import-file.csv", mapping_name="nl_boats_columns")
    assert set(LABELS) >= {
        "registry.alert",
        "registry.identifier",
        "registry.hit",
        "registry.overlap",
        "registry.batchcheck",
        "registry.importrun",
        "registry.check",
    }
    labels = {
        "identifier": target_label_of(identifier),
        "check": target_label_of(check),
        "overlap": target_label_of(overlap),
        "batch": target_label_of(batch),
        "import": target_label_of(run),
        "alert": target_label_of(police),
    }
    assert labels == {
        "identifier": f"{police.reference}: Engine number",
        "check": "Check 7",
        "overlap": f"{overlap.first.reference} / {overlap.second.reference}",
        "batch": "Batch check of 12 rows",
        "import": "Alert import",
        "alert": f"{police.reference} (Boat)",
    }
    assert_no_secrets(json.dumps(labels), "the labels")
