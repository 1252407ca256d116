"""The audit trail page and its downloads: coordinators only, filters, pagination, verifiable exports."""

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from safepact.accounts.sudo import SESSION_KEY
from safepact.audit.chain import HASHED_FIELDS, verify
from safepact.audit.exports import EXPORT_COLUMNS, events_from_csv
from safepact.audit.models import AuditEvent
from safepact.audit.services import audit_record
from safepact.lib import clock
from safepact.partnerships.services import member_set_role

ROOT = Path(settings.BASE_DIR)


def trail_url(partnership, **params):
    url = reverse("audit:trail", kwargs={"code": partnership.code})
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params)
    return url


def export_url(partnership, fmt):
    return reverse("audit:export", kwargs={"code": partnership.code, "fmt": fmt})


def chain_of(partnership):
    return AuditEvent.objects.filter(chain=str(partnership.code))


def record(partnership, n, *, action="test.thing.done", actor=None, **extra):
    for i in range(n):
        with transaction.atomic():
            audit_record(actor=actor, action=action, partnership=partnership, reason=f"reason {i}", **extra)


def with_sudo(client):
    session = client.session
    session[SESSION_KEY] = clock.now().timestamp() + 600
    session.save()
    return client


def body(response) -> str:
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("outsider", 404), ("coordinator_b", 404), ("viewer", 403), ("member", 403), ("coordinator", 200)],
)
def test_trail_access(client_for, world, persona, status):
    response = client_for(getattr(world, persona)).get(trail_url(world.partnership_a))
    assert response.status_code == status


def test_trail_needs_login(client, world):
    response = client.get(trail_url(world.partnership_a))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_unknown_partnership_is_404(client_for, world):
    response = client_for(world.coordinator).get("/audit/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"),
    [("outsider", 404), ("coordinator_b", 404), ("viewer", 403), ("member", 403)],
)
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_access(client_for, world, persona, status, fmt):
    client = with_sudo(client_for(getattr(world, persona)))
    before = AuditEvent.objects.count()
    response = client.post(export_url(world.partnership_a, fmt))
    assert response.status_code == status
    assert AuditEvent.objects.count() == before  # nothing disclosed, nothing recorded


def test_export_is_post_only(client_for, world):
    client = with_sudo(client_for(world.coordinator))
    before = AuditEvent.objects.count()
    assert client.get(export_url(world.partnership_a, "json")).status_code == 405
    assert AuditEvent.objects.count() == before


def test_export_unknown_format_is_404(client_for, world):
    response = with_sudo(client_for(world.coordinator)).post(export_url(world.partnership_a, "xml"))
    assert response.status_code == 404


def test_export_asks_to_confirm_the_password_first(client_for, world):
    before = AuditEvent.objects.count()
    response = client_for(world.coordinator).post(export_url(world.partnership_a, "json"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sudo") + "?next=")
    assert str(world.partnership_a.code) in response["Location"]
    assert AuditEvent.objects.count() == before


# --- the table --------------------------------------------------------------------------------


def test_table_newest_first_with_readable_action_diff_reason_and_ip(client_for, world):
    member_set_role(
        actor=world.coordinator, membership=world.membership_viewer, role="member", reason="needs to post"
    )
    with transaction.atomic():
        audit_record(
            actor=world.coordinator,
            action="partnerships.partnership.updated",
            partnership=world.partnership_a,
            before={"name": "Old name", "region": "Skåne"},
            after={"name": "New name"},
            ip="192.0.2.7",
            reason="renamed",
        )
    response = client_for(world.coordinator).get(trail_url(world.partnership_a))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<caption id="audit-caption">' in html and 'scope="col"' in html
    newest = chain_of(world.partnership_a).order_by("-seq")[0]
    assert html.index(f"event-{newest.code}") < html.index("Member role changed")
    assert "Partnership details changed" in html
    assert "<del>" in html and "Old name</del>" in html and "New name</ins>" in html
    assert "viewer</del>" in html and "member</ins>" in html
    assert "removed: </span>Skåne</del>" in html
    assert "needs to post" in html and "renamed" in html and "192.0.2.7" in html
    assert world.coordinator.email in html
    assert 'action="/audit/' in html and "Download JSON" in html


def test_filter_by_action_prefix_who_and_dates(client_for, world):
    brussels = ZoneInfo(settings.TIME_ZONE)
    with clock.frozen(datetime(2030, 3, 1, 23, 30, tzinfo=brussels)):
        record(world.partnership_a, 2, action="meetings.meeting.created", actor=world.member)
    with clock.frozen(datetime(2030, 3, 2, 0, 30, tzinfo=brussels)):
        record(world.partnership_a, 3, action="meetings.minutes.approved", actor=world.coordinator)
    client = client_for(world.coordinator)

    def rows(**params):
        response = client.get(trail_url(world.partnership_a, **params))
        assert response.status_code == 200
        return response.content.decode().count('<tr id="event-')

    assert rows(action="meetings") == 5
    assert rows(action="meetings.minutes") == 3
    assert rows(action="meetings", who="member@") == 2
    assert rows(action="meetings", date_from="2030-03-02") == 3
    assert rows(action="meetings", date_to="2030-03-01") == 2  # Brussels days, the end day included
    assert rows(action="meetings", date_from="2030-03-01", date_to="2030-03-02") == 5
    assert rows(date_from="2031-01-01") == 0
    response = client.get(trail_url(world.partnership_a, date_from="2031-01-01"))
    assert "No events match this filter." in response.content.decode()
    options = client.get(trail_url(world.partnership_a)).content.decode()
    assert 'value="meetings.minutes"' in options and 'value="partnerships.member"' in options


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"date_from": "yesterday"}, "id_date_from", "Enter a valid date"),
        ({"date_from": "2030-02-02", "date_to": "2030-02-01"}, "id_date_to", "must not be before"),
        ({"action": "nope.nope"}, "id_action", "Select a valid choice"),
        ({"who": "x" * 300}, "id_who", "at most 254"),
    ],
)
def test_bad_filter_is_named_not_a_500(client_for, world, params, field, message):
    response = client_for(world.coordinator).get(trail_url(world.partnership_a, **params))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="#{field}"' in html
    assert message in html
    assert '<tr id="event-' not in html  # no unfiltered table pretending to be filtered


def test_htmx_request_gets_only_the_results(client_for, world):
    response = client_for(world.coordinator).get(
        trail_url(world.partnership_a, action="partnerships"), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<table" in html
    assert "Download JSON" not in html


def test_pagination_50_per_page_and_filters_kept(client_for, world):
    record(world.partnership_a, 60)
    client = client_for(world.coordinator)
    first = client.get(trail_url(world.partnership_a, action="test")).content.decode()
    assert first.count('<tr id="event-') == 50
    assert "Page 1 of 2" in first
    assert "action=test&amp;page=2" in first
    second = client.get(trail_url(world.partnership_a, action="test", page=2)).content.decode()
    assert second.count('<tr id="event-') == 10
    assert "reason 0<" in second  # the oldest is on the last page
    out_of_range = client.get(trail_url(world.partnership_a, action="test", page="abc"))
    assert out_of_range.status_code == 200


def test_query_count_is_constant(client_for, world, django_assert_max_num_queries):
    client = client_for(world.coordinator)
    record(world.partnership_a, 3)
    client.get(trail_url(world.partnership_a))  # warm the session and caches
    with django_assert_max_num_queries(9) as few:
        client.get(trail_url(world.partnership_a))
    record(world.partnership_a, 70, action="other.kind.done", before={"a": 1}, after={"a": 2})
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(trail_url(world.partnership_a))
    assert response.content.decode().count('<tr id="event-') == 50


# --- downloads --------------------------------------------------------------------------------


def test_json_export_verifies_and_is_recorded(client_for, world, tmp_path):
    member_set_role(actor=world.coordinator, membership=world.membership_viewer, role="member", reason="ok")
    events = list(chain_of(world.partnership_a).order_by("seq"))
    response = with_sudo(client_for(world.coordinator)).post(export_url(world.partnership_a, "json"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(body(response))
    assert data["partnership"] == str(world.partnership_a.code)
    assert [e["seq"] for e in data["events"]] == [e.seq for e in events]  # oldest first, the whole chain
    assert set(data["events"][0]) == set(EXPORT_COLUMNS)
    assert data["head"] == {"seq": events[-1].seq, "hash": events[-1].hash}
    assert verify(data["events"]) == []

    disclosure = chain_of(world.partnership_a).order_by("-seq")[0]
    assert disclosure.action == "audit.trail.exported"
    assert disclosure.actor_label == world.coordinator.email
    assert disclosure.after == {"format": "json", "events": len(events)}

    path = tmp_path / "export.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    ok = subprocess.run(
        [sys.executable, "safepact/audit/chain.py", str(path)], cwd=ROOT, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK" in ok.stdout

    data["events"][2]["reason"] = "edited afterwards"
    path.write_text(json.dumps(data), encoding="utf-8")
    bad = subprocess.run(
        [sys.executable, "safepact/audit/chain.py", str(path)], cwd=ROOT, capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert f"BROKEN: chain {world.partnership_a.code}, event #3 ({events[2].code})" in bad.stdout


def test_raw_json_export_file_verifies_with_the_offline_script(client_for, world, tmp_path):
    response = with_sudo(client_for(world.coordinator)).post(export_url(world.partnership_a, "json"))
    path = tmp_path / "raw.json"
    path.write_bytes(b"".join(response.streaming_content))
    result = subprocess.run(
        [sys.executable, "safepact/audit/chain.py", str(path)], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_csv_export_verifies_even_with_formula_like_text(client_for, world):
    with transaction.atomic():
        audit_record(
            actor=world.coordinator,
            action="test.csv.tricky",
            partnership=world.partnership_a,
            reason='=HYPERLINK("http://evil.example")',
            before={"n": -1},
            after=None,
        )
        audit_record(
            actor=world.coordinator,
            action="test.csv.tricky",
            partnership=world.partnership_a,
            reason="'quoted, with comma\nand a new line",
            before=None,
            after={"text": "+31 6 …"},
        )
    response = with_sudo(client_for(world.coordinator)).post(export_url(world.partnership_a, "csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = body(response)
    assert text.splitlines()[0] == ",".join(EXPORT_COLUMNS)
    assert "'=HYPERLINK" in text  # a spreadsheet shows it, does not run it
    events = events_from_csv(text)
    assert len(events) == chain_of(world.partnership_a).count() - 1  # the disclosure itself comes after
    assert set(HASHED_FIELDS) <= set(events[0])
    assert verify(events) == []
    assert events[-1]["reason"] == "'quoted, with comma\nand a new line"
    last = chain_of(world.partnership_a).order_by("-seq")[0]
    assert last.action == "audit.trail.exported" and last.after["format"] == "csv"


def test_edited_csv_does_not_verify(client_for, world):
    text = body(with_sudo(client_for(world.coordinator)).post(export_url(world.partnership_a, "csv")))
    events = events_from_csv(text)
    events[1]["actor_label"] = "someone.else@example.org"
    breaks = verify(events)
    assert len(breaks) == 1 and breaks[0].seq == events[1]["seq"]


def test_export_after_date_change_keeps_utc_timestamps(client_for, world):
    with clock.frozen(datetime(2030, 6, 1, 12, 0, tzinfo=ZoneInfo("Europe/Brussels"))):
        record(world.partnership_a, 1)
    data = json.loads(
        body(with_sudo(client_for(world.coordinator)).post(export_url(world.partnership_a, "json")))
    )
    assert data["events"][-1]["occurred_at"] == "2030-06-01T10:00:00.000000+00:00"
    assert verify(data["events"]) == []
