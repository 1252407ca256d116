"""Registry API, law enforcement: alerts and their identifiers (create, change, status, add, remove), hits
and their decision (the checking partner learns the outcome), overlaps and their resolution, the
close-identifier search (refused to partners), export, import (dry run, atomic refusal, mappings) and the
settings; state conflicts answer 409, bad input 422 naming the field; lists cost the same for few and
many."""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safepact.audit.models import AuditEvent
from safepact.registry import services
from safepact.registry.models import Alert, Hit, Identifier, ImportRun, Overlap, RegistrySettings
from safepact.registry.tests.conftest import boat_alert
from safepact.registry.tests.test_api_access import HIN_1, HIN_2, VIN, _media, base, call  # noqa: F401

MAPPINGS = Path(__file__).resolve().parent.parent / "mappings"
NEW_ALERT = {
    "category": "bicycle",
    "description": "Cargo bike, green, child seat.",
    "case_reference": "5000-K123999-26",
    "legal_basis": "Rättegångsbalken 27 kap.",
    "jurisdiction": "SE",
    "identifiers": [
        {"kind": "frame", "value": "WTU 1234 5678 9K"},
        {"kind": "serial", "value": "BS-4471-22", "manufacturer": "Bosch"},
    ],
    "action": "contact",
    "action_note": "Keep the receipt.",
}


def audited(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# Alerts -----------------------------------------------------------------------------------------------


def test_create_an_alert_owned_by_the_officers_unit(client, reg):
    client.force_login(reg.officer)
    response = call(client, "post", f"{base(reg)}/alerts", NEW_ALERT)
    assert response.status_code == 201, response.content
    alert = response.json()
    assert alert["reference"].startswith("REG-")
    assert alert["owner"]["organisation"]["name"] == "Polisen Malmö"
    assert alert["created_by"]["full_name"] == "Olle Officer"
    assert (alert["status"], alert["action"], alert["action_note"]) == (
        "active",
        "contact",
        "Keep the receipt.",
    )
    assert [i["kind"] for i in alert["identifiers"]] == ["frame", "serial"]
    assert {i["key"] for i in alert["identifiers"]} == {"frame:WTU123456789K", "serial:BOSCH:BS447122"}
    assert alert["expires_on"]
    assert audited("registry.alert.created") == 1
    # Customs (another unit) reads it; the city and the marina do not.
    client.force_login(reg.customs)
    assert client.get(f"{base(reg)}/alerts/{alert['code']}").json()["description"] == NEW_ALERT["description"]
    for user in (reg.city, reg.marina, reg.viewer):
        client.force_login(user)
        assert client.get(f"{base(reg)}/alerts/{alert['code']}").status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"identifiers": []}, "identifiers"),
        ({"identifiers": [{"kind": "imei", "value": "35-417803-685978-2"}]}, "identifiers"),
        ({"identifiers": [{"kind": "starship", "value": "NCC-1701"}]}, "identifiers"),
        ({"jurisdiction": "XX"}, "jurisdiction"),
        ({"category": "spaceship"}, "category"),
        ({"description": ""}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"expires_on": "someday"}, "expires_on"),
        ({"owner": "Tullverket"}, "owner"),
    ],
)
def test_a_bad_alert_names_the_field_and_stores_nothing(client, reg, change, field):
    client.force_login(reg.police)
    response = call(client, "post", f"{base(reg)}/alerts", {**NEW_ALERT, **change})
    assert response.status_code == 422, response.content
    assert response.json()["detail"].startswith(field), response.json()
    assert not Alert.objects.exists()
    assert not audited("registry.alert.created")


def test_change_an_alert_only_in_the_owning_unit(client, reg):
    alert = boat_alert(reg)
    url = f"{base(reg)}/alerts/{alert.code}"
    client.force_login(reg.officer)
    response = call(client, "patch", url, {"description": "Bayliner VR5, white hull.", "action": "report"})
    assert response.status_code == 200, response.content
    assert (response.json()["description"], response.json()["action"]) == (
        "Bayliner VR5, white hull.",
        "report",
    )
    assert response.json()["case_reference"] == "5000-K123456-26"
    assert audited("registry.alert.updated") == 1
    assert call(client, "patch", url, {"description": None}).json()["detail"].startswith("description")
    assert call(client, "patch", url, {"jurisdiction": "XX"}).status_code == 422
    client.force_login(reg.customs)
    assert call(client, "patch", url, {"description": "Ours now."}).status_code == 403
    assert Alert.objects.get(pk=alert.pk).description == "Bayliner VR5, white hull."


def test_status_changes_and_conflicts(client, reg):
    alert = boat_alert(reg)
    url = f"{base(reg)}/alerts/{alert.code}/status"
    client.force_login(reg.police)
    response = call(client, "post", url, {"status": "located", "reason": "Found at the marina."})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["status_note"]) == ("located", "Found at the marina.")
    assert "Found at the marina." not in json.dumps(
        list(AuditEvent.objects.values("before", "after", "reason"))
    )
    # The same status again: the alert's state is in the way (409); "expired" is not for people to set.
    again = call(client, "post", url, {"status": "located"})
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"
    assert call(client, "post", url, {"status": "expired"}).json()["detail"].startswith("status")
    assert call(client, "post", url, {"status": "active"}).json()["status"] == "active"
    assert audited("registry.alert.status_changed") == 2


def test_add_and_remove_identifiers(client, reg):
    alert = boat_alert(reg, identifiers=[HIN_1])
    url = f"{base(reg)}/alerts/{alert.code}/identifiers"
    client.force_login(reg.police)
    response = call(client, "post", url, {"kind": "imei", "value": "35-417803-685978-2"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("value")
    assert call(client, "post", url, HIN_1).json()["detail"].startswith("value")  # already there
    response = call(client, "post", url, {"kind": "imei", "value": "354178036859789"})
    assert response.status_code == 201, response.content
    added = response.json()
    assert (added["kind"], added["key"]) == ("imei", "imei:35417803685978")
    first = alert.identifiers.get(kind="hin")
    assert client.delete(f"{url}/{first.code}?reason=Typo").status_code == 204
    # The last identifier cannot go: 409, it stays.
    response = client.delete(f"{url}/{added['code']}")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert list(Identifier.objects.filter(alert=alert).values_list("kind", flat=True)) == ["imei"]
    assert audited("registry.identifier.added") == 1
    assert audited("registry.identifier.removed") == 1


def test_an_identifier_added_later_makes_a_late_hit(client, reg):
    alert = boat_alert(reg, identifiers=[HIN_1])
    services.check_identifier(user=reg.marina, membership=reg.m_marina, context="purchase", **VIN)
    assert not Hit.objects.exists()
    client.force_login(reg.police)
    assert call(client, "post", f"{base(reg)}/alerts/{alert.code}/identifiers", VIN).status_code == 201
    late = client.get(f"{base(reg)}/hits").json()["items"]
    assert [(h["kind"], h["alert"]["code"], h["checked_by"]["full_name"]) for h in late] == [
        ("late", str(alert.code), "Hanna Harbour")
    ]


def test_alert_filters(client, reg):
    boat_alert(reg)
    bike = boat_alert(
        reg,
        by=reg.customs,
        category="bicycle",
        description="Cargo bike.",
        case_reference="TV-2026-0042",
        identifiers=[{"kind": "frame", "value": "WTU123456789K"}],
    )
    client.force_login(reg.customs)

    def codes(**query):
        return [item["code"] for item in client.get(f"{base(reg)}/alerts", query).json()["items"]]

    assert len(codes()) == 2
    assert codes(category="bicycle") == codes(mine="true") == codes(q="TV-2026") == [str(bike.code)]
    assert codes(q="WTU123456789K") == [str(bike.code)]
    assert codes(status="located") == []
    assert client.get(f"{base(reg)}/alerts", {"status": "lost"}).status_code == 422


# Hits -------------------------------------------------------------------------------------------------


def test_hits_are_read_and_decided_by_the_owning_unit(client, reg):
    alert = boat_alert(reg)
    result = services.check_identifier(user=reg.marina, membership=reg.m_marina, context="storage", **HIN_2)
    client.force_login(reg.customs)
    hit = client.get(f"{base(reg)}/hits/{result.hit_code}").json()
    assert hit["alert"]["reference"] == alert.reference
    assert (hit["status"], hit["kind"], hit["context"]) == ("open", "live", "storage")
    assert hit["checked_by"]["full_name"] == "Hanna Harbour"
    assert hit["checked_by_organisation"]["name"] == "Limhamn Marina"
    assert hit["checked_value"] == HIN_2["value"]
    url = f"{base(reg)}/hits/{result.hit_code}/decision"
    assert call(client, "post", url, {"status": "confirmed"}).status_code == 403  # customs: not the owner
    client.force_login(reg.officer)
    assert call(client, "post", url, {"status": "maybe"}).json()["detail"].startswith("status")
    response = call(client, "post", url, {"status": "confirmed", "note": "Our boat; patrol sent."})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decided_by"]["full_name"]) == (
        "confirmed",
        "Olle Officer",
    )
    again = call(client, "post", url, {"status": "rejected"})
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"
    assert audited("registry.hit.decided") == 1
    # The marina learns the outcome, not the note.
    client.force_login(reg.marina)
    log = client.get(f"{base(reg)}/checks").json()["items"]
    assert log[0]["outcome"] == "Confirmed: the police will contact you."
    assert "patrol" not in json.dumps(log)
    client.force_login(reg.marina)
    assert client.get(f"{base(reg)}/hits/{result.hit_code}").status_code == 403
    assert client.get(f"{base(reg)}/hits", {"status": "open"}).status_code == 403
    client.force_login(reg.police)
    assert client.get(f"{base(reg)}/hits", {"status": "open"}).json()["count"] == 0
    assert client.get(f"{base(reg)}/hits", {"status": "confirmed"}).json()["count"] == 1


# Overlaps ---------------------------------------------------------------------------------------------


def test_overlaps_are_resolved_by_either_owning_unit_once(client, reg):
    from safepact.registry.tests.alerts_factories import third_unit

    first = boat_alert(reg)
    second = boat_alert(reg, by=reg.customs, identifiers=[HIN_1], case_reference="TV-2026-0042")
    overlap = Overlap.objects.get()
    client.force_login(reg.customs)
    listed = client.get(f"{base(reg)}/overlaps").json()["items"]
    assert [(o["key"], o["first"]["code"], o["second"]["code"]) for o in listed] == [
        ("hin:SEABC12345D404", str(first.code), str(second.code))
    ]
    url = f"{base(reg)}/overlaps/{overlap.code}/resolution"
    assert call(client, "post", url, {"status": "open"}).status_code == 422
    client.force_login(third_unit(reg))
    assert call(client, "post", url, {"status": "dismissed"}).status_code == 403
    client.force_login(reg.customs)
    response = call(client, "post", url, {"status": "same_object"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["resolved_by"]["full_name"]) == (
        "same_object",
        "Cecilia Customs",
    )
    client.force_login(reg.police)
    assert call(client, "post", url, {"status": "dismissed"}).status_code == 409
    assert client.get(f"{base(reg)}/overlaps", {"status": "open"}).json()["count"] == 0


# Search, export, import, settings ---------------------------------------------------------------------


def test_close_identifier_search_for_law_enforcement_only(client, reg):
    alert = boat_alert(reg)
    client.force_login(reg.customs)
    before = audited("registry.search.close")
    response = client.get(f"{base(reg)}/search", {"kind": "hin", "value": "SE-A8C12345D4O4"})
    assert response.status_code == 200, response.content
    items = response.json()["items"]
    assert [(i["identifier"]["value"], i["alert"]["code"]) for i in items] == [
        ("SEABC12345D404", str(alert.code))
    ]
    assert items[0]["distance"] <= 2
    assert audited("registry.search.close") == before + 1
    assert (
        client.get(f"{base(reg)}/search", {"kind": "hin", "value": "x", "max_distance": 5}).status_code == 422
    )
    assert client.get(f"{base(reg)}/search", {"kind": "hin"}).status_code == 422
    # Partners check exact identifiers only: no fuzzy search, nothing recorded.
    for user in (reg.marina, reg.city, reg.viewer):
        client.force_login(user)
        response = client.get(f"{base(reg)}/search", {"kind": "hin", "value": "SE-A8C12345D4O4"})
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert audited("registry.search.close") == before + 1


def test_export_for_law_enforcement_only(client, reg):
    alert = boat_alert(reg)
    client.force_login(reg.customs)
    response = client.get(f"{base(reg)}/export")
    assert response.status_code == 200
    exported = response.json()
    assert [a["reference"] for a in exported["alerts"]] == [alert.reference]
    assert len(exported["alerts"][0]["identifiers"]) == 3
    assert client.get(f"{base(reg)}/export", {"status": "located"}).json()["alerts"] == []
    assert audited("registry.export") == 2
    client.force_login(reg.marina)
    assert client.get(f"{base(reg)}/export").status_code == 403
    assert audited("registry.export") == 2


def _export_file(text: str, name="export.json"):
    return SimpleUploadedFile(name, text.encode(), content_type="application/json")


def _import(client, reg, data: str, **fields):
    files = {"file": _export_file(data)}
    if "mapping_file" in fields:
        files["mapping_file"] = SimpleUploadedFile("mapping.json", fields.pop("mapping_file").encode())
    return client.post(f"{base(reg)}/imports", {**fields, **files})


def _safepact_export(reg) -> str:
    boat_alert(reg)
    data = services.alerts_export(user=reg.police, partnership=reg.partnership)
    Alert.objects.all().delete()
    return json.dumps(data)


def test_import_dry_run_reports_and_stores_nothing(client, reg):
    data = _safepact_export(reg)
    client.force_login(reg.police)
    response = _import(client, reg, data, mapping="safepact", dry_run="true")
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["dry_run"] is True
    assert (report["counts"]["created"], report["counts"]["identifiers"], report["counts"]["rejected"]) == (
        1,
        3,
        0,
    )
    assert report["created"][0]["case_reference"] == "5000-K123456-26"
    assert not Alert.objects.exists()
    response = _import(client, reg, data, mapping="safepact")
    assert response.status_code == 200
    assert response.json()["counts"]["created"] == 1
    alert = Alert.objects.get()
    assert (alert.owner, alert.identifiers.count()) == (reg.m_police.partner, 3)
    assert ImportRun.objects.count() == 1
    assert audited("registry.import") == 1


def test_an_import_with_one_bad_line_stores_nothing(client, reg):
    exported = json.loads(_safepact_export(reg))
    good = exported["alerts"][0]
    bad = {**good, "reference": "REG-2026-000099", "case_reference": "5000-K999-26", "category": "spaceship"}
    exported["alerts"] = [good, bad]
    client.force_login(reg.police)
    dry = _import(client, reg, json.dumps(exported), mapping="safepact", dry_run="true")
    assert dry.status_code == 200
    assert dry.json()["counts"]["rejected"] == 1
    response = _import(client, reg, json.dumps(exported), mapping="safepact")
    assert response.status_code == 422
    payload = response.json()
    assert payload["code"] == "invalid"
    assert payload["detail"]
    assert [line["line"] for line in payload["report"]["rejected"]] == [
        item["line"] for item in dry.json()["rejected"]
    ]
    assert "category" in payload["report"]["rejected"][0]["message"]
    assert not Alert.objects.exists()
    assert not ImportRun.objects.exists()
    assert not audited("registry.import")


def test_import_with_an_uploaded_mapping_merges_rows_of_one_object(client, reg):
    """A legacy export with one identifier per row and its mapping, uploaded: the rows of one object become
    one alert with several identifiers."""
    client.force_login(reg.police)
    response = client.post(
        f"{base(reg)}/imports",
        {
            "file": SimpleUploadedFile("legacy.csv", (MAPPINGS / "legacy_rows.csv").read_bytes()),
            "mapping_file": SimpleUploadedFile("legacy.json", (MAPPINGS / "legacy_rows.json").read_bytes()),
            "dry_run": "true",
        },
    )
    assert response.status_code == 200, response.content
    report = response.json()
    assert (report["mapping"], report["dry_run"]) == ("legacy_rows", True)
    assert report["counts"]["created"] >= 1
    assert any(len(item["lines"]) > 1 for item in report["merged"])
    assert not Alert.objects.exists()


def test_a_mapping_is_a_built_in_name_or_an_uploaded_file_never_a_path(client, reg):
    client.force_login(reg.police)
    csv = "zaak;nummer\n17;2026-K-0017\n"
    for fields in ({"mapping": "/etc/passwd"}, {"mapping": "legacy_rows.json"}, {}):
        response = _import(client, reg, csv, **fields)
        assert response.status_code == 422
        assert response.json()["detail"].startswith("mapping:"), response.json()
    response = _import(client, reg, csv, mapping_file="{not json")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("mapping_file:")
    response = _import(client, reg, csv, mapping_file='{"format": "csv", "fields": 12}')
    assert response.json()["detail"].startswith("mapping_file:")
    response = _import(client, reg, csv, mapping="safepact", mapping_file="{}")
    assert response.json()["detail"].startswith("mapping:")
    assert not Alert.objects.exists()


def test_import_is_for_law_enforcement_only(client, reg):
    client.force_login(reg.marina)
    response = _import(client, reg, "{}", mapping="safepact")
    assert response.status_code == 403


def test_settings_read_by_members_changed_by_coordinators(client, reg):
    client.force_login(reg.viewer)
    response = client.get(f"{base(reg)}/settings")
    assert response.json() == {
        "escalation_hours": 12,
        "retention_days": 90,
        "default_alert_days": 3650,
        "updated_at": None,
    }
    assert call(client, "put", f"{base(reg)}/settings", {"escalation_hours": 6}).status_code == 403
    client.force_login(reg.officer)  # law enforcement, but no coordinator
    assert call(client, "put", f"{base(reg)}/settings", {"escalation_hours": 6}).status_code == 403
    client.force_login(reg.police)
    response = call(client, "put", f"{base(reg)}/settings", {"escalation_hours": 6})
    assert response.status_code == 200
    assert (response.json()["escalation_hours"], response.json()["retention_days"]) == (6, 90)
    assert response.json()["updated_at"]
    response = call(client, "put", f"{base(reg)}/settings", {"retention_days": 5000})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("retention_days")
    assert RegistrySettings.objects.get().retention_days == 90
    assert audited("registry.settings.updated") == 1


# Query counts -----------------------------------------------------------------------------------------


def _engine(n: int) -> dict:
    return {"kind": "engine", "manufacturer": "Mercury", "value": f"MX-{n:07d}"}


def test_lists_cost_the_same_for_few_and_many(client, reg, django_assert_max_num_queries):
    def some(first: int, count: int):
        for n in range(first, first + count):
            by = reg.police if n % 2 else reg.customs
            alert = boat_alert(
                reg, by=by, identifiers=[_engine(n), _engine(1000 + n)], case_reference=f"K-{n}"
            )
            # Two alerts share each identifier: an overlap per pair.
            boat_alert(reg, by=reg.police, identifiers=[_engine(n)], case_reference=f"K-{n}-twin")
            services.check_identifier(
                user=reg.marina, membership=reg.m_marina, context="purchase", **_engine(1000 + n)
            )
            assert alert.identifiers.count() == 2

    paths = [f"{base(reg)}/alerts", f"{base(reg)}/hits", f"{base(reg)}/overlaps"]
    some(0, 2)
    client.force_login(reg.police)
    few = {}
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        few[path] = len(queries)
    some(2, 10)
    for path in paths:
        with django_assert_max_num_queries(few[path]):
            response = client.get(path, {"limit": 100})
        assert response.json()["count"] >= 12, path
