"""Uploading a batch: what is accepted (UTF-8 CSV or text with a BOM, ``,`` or ``;``, headers in any case),
what is refused with the field named and nothing stored (wrong name, too big, binary, not UTF-8, no header,
no rows, too many rows, a bad context), viewers and people without a membership, the daily quota (refused as
a whole), the audit event and the task queued once the upload commits."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django_tasks_db.models import DBTaskResult

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.registry.models import BatchCheck, BatchStatus, Check, RateWindow
from safepact.registry.services import RateLimited, batch_create
from safepact.registry.tests.checks_factories import counts, csv_file

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 10, 0, 15, tzinfo=UTC)
GOOD = "kind,value,manufacturer\nvin,WBA71DC010CH14720,\nhin,NL-XYZ98765E505,\nengine,6ML-1034567,Yamaha\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded files go to a temporary folder for this test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def upload(reg, file, *, who=None, membership=None, context="offered_for_sale"):
    return batch_create(
        user=who or reg.marina, membership=membership or reg.m_marina, file=file, context=context
    )


def stored_files(root) -> list[Path]:
    return [path for path in Path(root).rglob("*") if path.is_file()]


def nothing_stored(root) -> bool:
    return (
        not BatchCheck.objects.exists()
        and not RateWindow.objects.exists()
        and not AuditEvent.objects.filter(action__startswith="registry.batch").exists()
        and not DBTaskResult.objects.exists()
        and not stored_files(root)
    )


def test_an_upload_is_stored_audited_and_queued_once_it_commits(
    reg, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        batch = upload(reg, csv_file(GOOD, "My stock (Nov).csv"))
    assert len(callbacks) == 1
    batch.refresh_from_db()
    assert (batch.partnership, batch.user, batch.organisation) == (
        reg.partnership,
        reg.marina,
        reg.m_marina.partner.organisation,
    )
    assert (batch.status, batch.total, batch.processed, batch.hits, batch.rejected) == (
        BatchStatus.QUEUED,
        3,
        0,
        0,
        0,
    )
    assert (batch.file_name, batch.context, batch.created_at) == (
        "My stock (Nov).csv",
        "offered_for_sale",
        NOW,
    )
    assert batch.file.name.startswith("registry/batches/") and "stock" not in batch.file.name
    assert batch.file.read().decode() == GOOD
    event = AuditEvent.objects.get(action="registry.batch.created")
    assert (event.actor_code, event.target_code, event.after) == (
        str(reg.marina.code),
        str(batch.code),
        {"rows": 3, "context": "offered_for_sale"},
    )
    assert DBTaskResult.objects.count() == 1
    assert counts(f"b:{reg.m_marina.partner.organisation_id}") == 3
    assert not Check.objects.exists()  # the checking happens in the background


@pytest.mark.parametrize(
    "content",
    [
        "\ufeffKind;Value;Manufacturer\r\nvin;WBA71DC010CH14720;\r\nengine;6ML-1034567;Yamaha",  # BOM, ;, CRLF
        " KIND , VALUE ,country,own reference\nvin,WBA71DC010CH14720,,A1\nplate,AB123C,NL,A2\n",
        '"kind","value"\n"vin","WBA71DC010CH14720"\n"vin","1M8GDM9AXKP042788"\n',
        "Kind,Value,Document Type,Country\ndocument,NXC1234567,passport,NL\ndocument,NXC1234568,passport,nl\n",
    ],
)
def test_accepted_layouts(reg, content, run_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(reg, csv_file(content, "stock.txt"))
    assert batch.total == 2
    run_tasks()
    batch.refresh_from_db()
    assert (batch.status, batch.processed, batch.rejected) == (BatchStatus.DONE, 2, 0), batch.problems
    assert Check.objects.filter(batch=batch).count() == 2


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("stock.xlsx", GOOD, ".csv"),
        ("stock", GOOD, ".csv"),
        ("stock.csv", b"kind,value\nvin,WBA71DC010CH14720\x00\n", "UTF-8"),
        ("stock.csv", b"PK\x03\x04\x14\x00\x00\x00\x08\x00kind", "UTF-8"),
        ("stock.csv", "kind,value\nvin,WBA71DC010CH14720\n".encode("utf-16"), "UTF-8"),
        ("stock.csv", "kind,value\nplate,ÅÄÖ123\n".encode("latin-1"), "UTF-8"),
        ("stock.csv", b"", "empty"),
        ("stock.csv", "vin,WBA71DC010CH14720\nvin,1M8GDM9AXKP042788\n", "header"),
        ("stock.csv", "kind,serial\nvin,WBA71DC010CH14720\n", "value"),
        ("stock.csv", "value,value,kind\nWBA71DC010CH14720,x,vin\n", "twice"),
        ("stock.csv", "kind,value\n", "no identifiers"),
        ("stock.csv", "kind,value", "no identifiers"),
        ("stock.csv", "kind," + "x" * 5000 + "\nvin,WBA71DC010CH14720\n", "header"),
    ],
)
def test_bad_files_are_refused_naming_the_file_and_nothing_is_stored(reg, media, name, content, words):
    with pytest.raises(ValidationError) as error:
        upload(reg, csv_file(content, name))
    assert list(error.value.message_dict) == ["file"]
    assert words.lower() in error.value.message_dict["file"][0].lower()
    assert nothing_stored(media)


def test_a_file_over_the_size_limit_is_refused(reg, media, settings):
    settings.SAFEPACT_REGISTRY_BATCH_MAX_MB = 1
    content = "kind,value\n" + "vin,WBA71DC010CH14720\n" * 50_000  # 1.1 MB
    with pytest.raises(ValidationError) as error:
        upload(reg, csv_file(content))
    assert "1 MB" in error.value.message_dict["file"][0]
    assert nothing_stored(media)


def test_a_file_over_the_row_limit_is_refused(reg, media, settings):
    settings.SAFEPACT_REGISTRY_BATCH_MAX_ROWS = 3
    with pytest.raises(ValidationError) as error:
        upload(reg, csv_file(GOOD + "vin,1M8GDM9AXKP042788\n"))
    assert "4 rows" in error.value.message_dict["file"][0]
    assert nothing_stored(media)
    assert upload(reg, csv_file(GOOD)).total == 3


def test_a_context_is_required(reg, media):
    with pytest.raises(ValidationError) as error:
        upload(reg, csv_file(GOOD), context="")
    assert list(error.value.message_dict) == ["context"]
    assert nothing_stored(media)


def test_viewers_and_people_without_a_membership_cannot_upload(reg, media):
    with pytest.raises(PermissionDenied):
        upload(reg, csv_file(GOOD), who=reg.viewer, membership=reg.m_viewer)
    with pytest.raises(Http404):
        batch_create(user=reg.outsider, membership=None, file=csv_file(GOOD), context="routine")
    assert nothing_stored(media)


def test_the_daily_quota_of_the_organisation_holds(reg, media, settings):
    settings.SAFEPACT_REGISTRY_RATE_LIMITS = {
        **settings.SAFEPACT_REGISTRY_RATE_LIMITS,
        "batch_rows_per_day": 5,
    }
    upload(reg, csv_file(GOOD))
    with pytest.raises(RateLimited) as refused:
        upload(reg, csv_file(GOOD))
    assert refused.value.scope == "batch"
    # 10:00:15 UTC is 11:00:15 in Stockholm/Brussels: 12h59m45s to local midnight
    assert refused.value.retry_after == 12 * 3600 + 59 * 60 + 45
    assert BatchCheck.objects.count() == 1 and len(stored_files(media)) == 1
    assert counts(f"b:{reg.m_marina.partner.organisation_id}") == 3
    # a small one still fits, and the next day starts afresh
    upload(reg, csv_file("kind,value\nvin,WBA71DC010CH14720\nvin,1M8GDM9AXKP042788\n"))
    with clock.frozen(datetime(2026, 12, 1, 9, 0, tzinfo=UTC)):
        upload(reg, csv_file(GOOD))
    assert BatchCheck.objects.count() == 3
