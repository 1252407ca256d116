"""The audit trail through the API: coordinators only, every hashed field, verifiable exports."""

import csv
import io
import json
from datetime import timedelta

import pytest

from safepact.audit.chain import HASHED_FIELDS, verify
from safepact.audit.exports import events_from_csv
from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.partnerships.services import partnership_update

API = "/api/v1"


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def trail_of(partnership):
    return AuditEvent.objects.filter(partnership_code=str(partnership.code))


PATHS = ["/audit", "/audit/export", "/audit/export?format=csv"]


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 401),
        ("outsider", 404),
        ("coordinator_b", 404),
        ("viewer", 403),
        ("member", 403),
        ("coordinator", 200),
    ],
)
@pytest.mark.parametrize("path", PATHS)
def test_role_matrix(client, world, persona, status, path):
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    before = AuditEvent.objects.count()
    response = client.get(f"{API}/partnerships/{world.partnership_a.code}{path}")
    assert response.status_code == status
    if status != 200:
        assert response.json()["code"] in {"unauthenticated", "not_found", "forbidden"}
        assert AuditEvent.objects.count() == before


def test_list_newest_first_with_every_hashed_field(client, world):
    client.force_login(world.coordinator)
    data = client.get(f"{API}/partnerships/{world.partnership_a.code}/audit?limit=500").json()
    events = data["items"]
    assert data["count"] == trail_of(world.partnership_a).count() == len(events)
    assert [e["seq"] for e in events] == sorted((e["seq"] for e in events), reverse=True)
    for event in events:
        assert set(event) == {*HASHED_FIELDS, "code", "hash"}
        assert event["partnership_code"] == str(world.partnership_a.code)
    # What the API shows is exactly what was hashed: the chain verifies from the answer alone.
    assert verify(events) == []
    assert events[-1]["prev_hash"] == "0" * 64
    assert events[0]["prev_hash"] == events[1]["hash"]


def test_list_filters(client, world):
    start = clock.now()
    with clock.frozen(start + timedelta(days=10)):
        partnership_update(actor=world.coordinator, partnership=world.partnership_a, region="Skåne län")
    with clock.frozen(start + timedelta(days=20)):
        partnership_update(actor=world.coordinator, partnership=world.partnership_a, status="active")
    client.force_login(world.coordinator)
    base = f"{API}/partnerships/{world.partnership_a.code}/audit"

    updated = client.get(base, {"action": "partnerships.partnership.updated"}).json()
    assert [e["after"] for e in updated["items"]] == [{"status": "active"}, {"region": "Skåne län"}]

    members = client.get(base, {"action": "partnerships.member."}).json()["items"]
    assert members and all(e["action"].startswith("partnerships.member.") for e in members)

    since = (start + timedelta(days=5)).isoformat()
    until = (start + timedelta(days=15)).isoformat()
    window = client.get(base, {"since": since, "until": until}).json()["items"]
    assert [e["after"] for e in window] == [{"region": "Skåne län"}]
    assert client.get(base, {"since": since}).json()["count"] == 2
    assert client.get(base, {"action": "nothing.like.this"}).json() == {"items": [], "count": 0}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2025-13-01"}, "until"),
        ({"action": "a" * 101}, "action"),
        ({"limit": "many"}, "limit"),
    ],
)
def test_list_rejects_bad_filters(client, world, query, field):
    client.force_login(world.coordinator)
    response = client.get(f"{API}/partnerships/{world.partnership_a.code}/audit", query)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{field}:"), response.json()


def test_list_shows_only_this_partnership(client, world):
    client.force_login(world.coordinator)
    text = client.get(f"{API}/partnerships/{world.partnership_a.code}/audit?limit=500").content.decode()
    assert str(world.partnership_b.code) not in text
    for event in trail_of(world.partnership_b):
        assert event.hash not in text
    for event in AuditEvent.objects.filter(partnership_code=""):  # the platform trail
        assert str(event.code) not in text


def test_export_json_is_oldest_first_verifiable_and_recorded(client, world):
    client.force_login(world.coordinator)
    count = trail_of(world.partnership_a).count()
    response = client.get(f"{API}/partnerships/{world.partnership_a.code}/audit/export")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    data = json.loads(body(response))
    assert data["partnership"] == str(world.partnership_a.code)
    assert data["head"]["seq"] == count
    assert [e["seq"] for e in data["events"]] == list(range(1, count + 1))
    assert data["events"] == [e.chain_fields() for e in trail_of(world.partnership_a).order_by("seq")][:count]
    assert verify(data["events"]) == []
    # The disclosure itself is in the trail, by whom and how much.
    recorded = trail_of(world.partnership_a).order_by("-seq").first()
    assert recorded.action == "audit.trail.exported"
    assert recorded.actor_code == str(world.coordinator.code)
    assert recorded.after == {"format": "json", "events": count}
    assert verify([e.chain_fields() for e in trail_of(world.partnership_a)]) == []


def test_export_csv_has_the_same_columns(client, world):
    partnership_update(
        actor=world.coordinator,
        partnership=world.partnership_a,
        region='=HYPERLINK("http://evil")',
        reason="-2+3",
    )
    client.force_login(world.coordinator)
    response = client.get(f"{API}/partnerships/{world.partnership_a.code}/audit/export", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = body(response)
    rows = list(csv.DictReader(io.StringIO(text)))
    events = list(trail_of(world.partnership_a).exclude(action="audit.trail.exported").order_by("seq"))
    assert list(rows[0]) == ["code", *HASHED_FIELDS, "hash"]
    assert [r["code"] for r in rows] == [str(e.code) for e in events]
    assert [r["hash"] for r in rows] == [e.hash for e in events]
    # A cell a spreadsheet would run as a formula is neutralised.
    assert rows[-1]["reason"] == "'-2+3"
    assert "'=HYPERLINK" not in rows[-1]["after"]  # JSON cells start with "{" and are left alone
    assert verify(events_from_csv(text)) == []  # the apostrophes come off again: the CSV verifies too
    assert trail_of(world.partnership_a).latest("seq").after["format"] == "csv"


@pytest.mark.parametrize("fmt", ["xml", "", "JSON"])
def test_export_rejects_unknown_formats(client, world, fmt):
    client.force_login(world.coordinator)
    before = AuditEvent.objects.count()
    response = client.get(f"{API}/partnerships/{world.partnership_a.code}/audit/export", {"format": fmt})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("format:")
    assert AuditEvent.objects.count() == before


def test_audit_list_queries_do_not_grow(client, world, django_assert_max_num_queries):
    def grow(n):
        for i in range(n):
            partnership_update(
                actor=world.coordinator, partnership=world.partnership_a, region=f"R{i}-{clock.now()}"
            )

    client.force_login(world.coordinator)
    url = f"{API}/partnerships/{world.partnership_a.code}/audit?limit=500"
    base = trail_of(world.partnership_a).count()
    grow(3)
    with django_assert_max_num_queries(5):
        assert client.get(url).json()["count"] == base + 3
    grow(27)
    with django_assert_max_num_queries(5):
        assert client.get(url).json()["count"] == base + 30
