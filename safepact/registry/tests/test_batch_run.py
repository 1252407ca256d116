"""Running a batch through the task queue: progress committed chunk by chunk, bad lines reported by line
number (header = line 1) and skipped, hits carrying the batch and line (and told to the owning unit), the
check log, a crash recorded as failed with its line, a stopped run resumed without checking rows twice; and
the selectors (own organisation's batches, 404 for others, hits in line order, no N+1)."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from conftest import add_member, make_user
from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.notifications.models import Notification
from safepact.registry import selectors
from safepact.registry.models import BatchCheck, BatchStatus, Check, Hit
from safepact.registry.services import batch_create, batch_run
from safepact.registry.services import checks as checks_module
from safepact.registry.tests.checks_factories import SECRETS, csv_file, make_alert

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 10, 0, 15, tzinfo=UTC)

FILE = "\n".join(
    [
        "Kind;Value;Manufacturer;Country",  # 1
        "vin;WBA71DC010CH14720;;",  # 2
        "hin;NL-XYZ98765E505;;",  # 3: hit
        "vin;WBA71DC*;;",  # 4: wildcard
        "",  # 5: blank
        "engine;6ML-1034567;;",  # 6: no manufacturer
        "plate;AB-123-C;;NL",  # 7
        "rocket;X;;",  # 8: unknown kind
        "engine;6ml 1034567;YAMAHA;",  # 9: hit
        "imei;35-209900-176148-1",  # 10: short row
    ]
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded files go to a temporary folder for this test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def upload(reg, content=FILE, *, who=None, membership=None, context="storage", name="stock.csv"):
    return batch_create(
        user=who or reg.marina,
        membership=membership or reg.m_marina,
        file=csv_file(content, name),
        context=context,
    )


def test_a_batch_runs_through_the_queue_with_bad_lines_and_hits_by_line(
    reg, run_tasks, django_capture_on_commit_callbacks
):
    alert = make_alert(reg, action="report", action_note="Tell us where.")
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(reg)
    assert batch.total == 9
    results = run_tasks()
    assert len(results) == 1 and results[0].status == "SUCCESSFUL"
    batch.refresh_from_db()
    assert (batch.status, batch.total, batch.processed, batch.hits, batch.rejected) == (
        BatchStatus.DONE,
        9,
        9,
        2,
        3,
    )
    assert (batch.started_at, batch.finished_at, batch.error) == (NOW, NOW, "")
    assert [(p["line"], p["field"]) for p in batch.problems] == [
        (4, "value"),
        (6, "manufacturer"),
        (8, "kind"),
    ]
    assert all(p["message"] for p in batch.problems)
    # every good row is in the check log, with the batch, the organisation and the context
    logged = {c.key: c for c in Check.objects.all()}
    assert sorted(logged) == [
        "engine:YAMAHA:6ML1034567",
        "hin:NLXYZ98765E505",
        "imei:35209900176148",
        "plate:NL:AB123C",
        "vin:WBA71DC010CH14720",
    ]
    assert {(c.batch_id, c.user_id, c.organisation_id, c.context) for c in logged.values()} == {
        (batch.pk, reg.marina.pk, reg.m_marina.partner.organisation_id, "storage")
    }
    assert sorted(key for key, c in logged.items() if c.hit) == [
        "engine:YAMAHA:6ML1034567",
        "hin:NLXYZ98765E505",
    ]
    # the hits carry the batch and the line; the owning unit is told
    hits = list(selectors.batch_hits(user=reg.marina, batch=batch))
    assert [(h.batch_id, h.batch_line, h.alert_id, h.checked_value) for h in hits] == [
        (batch.pk, 3, alert.pk, "NL-XYZ98765E505"),
        (batch.pk, 9, alert.pk, "6ml 1034567"),
    ]
    assert [h.check_ref for h in hits] == [
        logged["hin:NLXYZ98765E505"].pk,
        logged["engine:YAMAHA:6ML1034567"].pk,
    ]
    # told once per alert and chunk of the batch (hits_create_many), not once per hit
    (told,) = Notification.objects.filter(kind="registry.hit", recipient=reg.police)
    assert told.title == f"2 hits on {alert.reference}"
    assert told.url == f"/p/{reg.partnership.code}/registry/hits/"
    event = AuditEvent.objects.get(action="registry.batch.finished")
    assert (event.target_code, event.after) == (
        str(batch.code),
        {"status": "done", "rows": 9, "hits": 2, "rejected": 3},
    )
    assert AuditEvent.objects.filter(action="registry.hit.created").count() == 2
    # nothing of the alert in what the batch page reads
    text = repr(BatchCheck.objects.filter(pk=batch.pk).values()[0])
    for secret in SECRETS:
        assert secret not in text


def test_progress_is_committed_chunk_by_chunk(reg, monkeypatch):
    monkeypatch.setattr(checks_module, "BATCH_CHUNK", 2)
    make_alert(reg)
    batch = upload(reg)
    seen = []
    real = checks_module.check_rows

    def spy(**kwargs):
        row = BatchCheck.objects.values("status", "processed", "hits", "rejected").get(pk=batch.pk)
        seen.append((row["status"], row["processed"], row["hits"], row["rejected"], len(kwargs["rows"])))
        return real(**kwargs)

    monkeypatch.setattr(checks_module, "check_rows", spy)
    assert batch_run(batch_id=batch.pk)["status"] == "done"
    # lines 2-3, 4-5, 6-7, 8-9, 10: progress before each chunk
    assert seen == [
        ("running", 0, 0, 0, 2),
        ("running", 2, 1, 0, 0),
        ("running", 4, 1, 1, 1),
        ("running", 6, 1, 2, 1),
        ("running", 8, 2, 3, 1),
    ]


def test_only_the_first_problems_are_kept_but_all_are_counted(reg, monkeypatch):
    monkeypatch.setattr(checks_module, "PROBLEMS_MAX", 2)
    monkeypatch.setattr(checks_module, "BATCH_CHUNK", 3)
    batch = upload(reg, "kind,value\n" + "vin,BAD*\n" * 7 + "vin,WBA71DC010CH14720\n")
    batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.rejected, batch.processed, [p["line"] for p in batch.problems]) == (7, 8, [2, 3])
    assert Check.objects.count() == 1


def test_a_crash_marks_the_batch_failed_with_the_line(reg, monkeypatch):
    monkeypatch.setattr(checks_module, "BATCH_CHUNK", 4)
    batch = upload(reg)
    real = checks_module.check_rows
    calls = []

    def failing(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(checks_module, "check_rows", failing)
    result = batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert result == {"status": "failed", "line": 9, "processed": 4}
    assert (batch.status, batch.processed, batch.finished_at) == (BatchStatus.FAILED, 4, NOW)
    assert "line 9" in batch.error and "RuntimeError" in batch.error and "disk full" not in batch.error
    assert Check.objects.count() == 2  # the first chunk stays checked; the second was rolled back
    assert AuditEvent.objects.get(action="registry.batch.finished").after["status"] == "failed"
    assert batch_run(batch_id=batch.pk) == {"status": "failed"}  # not run again


def test_a_run_that_stopped_half_way_goes_on_without_checking_rows_twice(reg, monkeypatch):
    monkeypatch.setattr(checks_module, "BATCH_CHUNK", 4)
    make_alert(reg)
    batch = upload(reg)
    real = checks_module.check_rows
    calls = []

    class WorkerKilled(BaseException):
        pass

    def killed(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise WorkerKilled
        return real(**kwargs)

    monkeypatch.setattr(checks_module, "check_rows", killed)
    with pytest.raises(WorkerKilled):
        batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.processed, batch.rejected, batch.hits) == ("running", 4, 1, 1)
    monkeypatch.setattr(checks_module, "check_rows", real)
    assert batch_run(batch_id=batch.pk)["status"] == "done"
    batch.refresh_from_db()
    assert (batch.processed, batch.rejected, batch.hits, batch.total) == (9, 3, 2, 9)
    assert [p["line"] for p in batch.problems] == [4, 6, 8]
    assert Check.objects.count() == 5 and Hit.objects.count() == 2
    assert batch_run(batch_id=batch.pk) == {"status": "done"}


def test_a_missing_file_fails_the_batch(reg):
    batch = upload(reg)
    batch.file.delete(save=False)
    assert batch_run(batch_id=batch.pk)["status"] == "failed"
    assert batch_run(batch_id=123456) == {"status": "missing"}


# Selectors -------------------------------------------------------------------------------------------


@pytest.fixture
def colleague(reg):
    """A second person of the marina's organisation."""
    user = make_user("dock@marina.example", "Dora Dock")
    add_member(
        coordinator=reg.police,
        partnership=reg.partnership,
        user=user,
        role="member",
        organisation=reg.m_marina.partner.organisation,
    )
    return user


def test_batches_are_shared_within_the_organisation_and_hidden_from_others(reg, colleague):
    mine = upload(reg)
    city = upload(reg, who=reg.city, membership=reg.m_city)
    assert list(selectors.batch_list(user=colleague, partnership=reg.partnership)) == [mine]
    assert list(selectors.batch_list(user=reg.city, partnership=reg.partnership)) == [city]
    assert selectors.get_batch(user=colleague, partnership=reg.partnership, code=mine.code) == mine
    assert selectors.get_batch(user=reg.marina, partnership=reg.partnership, code=str(mine.code)) == mine
    for code in (city.code, "not-a-code", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(Http404):
            selectors.get_batch(user=reg.marina, partnership=reg.partnership, code=code)
    with pytest.raises(Http404):
        selectors.batch_hits(user=reg.city, batch=mine)
    with pytest.raises(Http404):
        selectors.get_batch(user=reg.outsider, partnership=reg.partnership, code=mine.code)
    with pytest.raises(Http404):
        selectors.batch_list(user=reg.coordinator_b, partnership=reg.partnership)
    with pytest.raises(PermissionDenied):
        selectors.batch_list(user=reg.viewer, partnership=reg.partnership)


@pytest.mark.parametrize("lines", [2, 30])
def test_batch_hits_and_the_batch_list_need_no_query_per_row(reg, lines, django_assert_max_num_queries):
    make_alert(reg)
    make_alert(reg, reference="REG-2026-000002", identifiers_=[{"kind": "vin", "value": "WBA71DC010CH14720"}])
    content = "kind,value\n" + "hin,NL-XYZ98765E505\nvin,WBA71DC010CH14720\n" * (lines // 2)
    batch = upload(reg, content)
    batch_run(batch_id=batch.pk)
    for _ in range(lines // 2):
        upload(reg, "kind,value\nvin,WBA71DC010CH14720\n")
    with django_assert_max_num_queries(3):
        hits = [
            (h.batch_line, h.alert.reference, h.alert.action)
            for h in selectors.batch_hits(user=reg.marina, batch=batch)
        ]
    assert [line for line, _reference, _action in hits] == list(range(2, lines + 2))
    with django_assert_max_num_queries(3):
        names = [b.user.full_name for b in selectors.batch_list(user=reg.marina, partnership=reg.partnership)]
    assert len(names) == lines // 2 + 1
