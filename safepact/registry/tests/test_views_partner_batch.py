"""Batch checks through the pages: the upload form explains the format; an upload queues the task; the
progress page polls itself while the batch is queued or running and stops when it is done; problems are
listed by line; the results CSV holds each hit's line, kind, value as checked, reference and action, and
nothing else about the alert; a bad file is refused next to its field and stores nothing; my
organisation's batches are listed."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safepact.registry import services
from safepact.registry.models import BatchCheck, Check, HitAction
from safepact.registry.tests.conftest import boat_alert

HX = {"HTTP_HX_REQUEST": "true"}

FILE = (
    "kind,value,manufacturer,country,document_type\n"
    "vin,WBA71DC010CH14720,,,\n"  # line 2: no hit
    "hin,nl-xyz98765-e505,,,\n"  # line 3: the boat's second hull number
    "imei,12345*,,,\n"  # line 4: partial, rejected
    "plate,AB-123-C,,NL,\n"  # line 5: no hit
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def csv_upload(text=FILE, name="stock.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def upload(client, reg, text=FILE, context="purchase", **extra):
    url = reverse("registry:batch_new", args=[reg.partnership.code])
    return client.post(url, {"file": csv_upload(text), "context": context}, **extra)


def batch_url(reg, batch, name="batch"):
    return reverse(f"registry:{name}", args=[reg.partnership.code, batch.code])


def test_the_upload_form_explains_the_format(client_for, reg):
    response = client_for(reg.marina).get(reverse("registry:batch_new", args=[reg.partnership.code]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html
    assert "kind,value,manufacturer,country,document_type" in html
    assert "1,000,000" in html
    for kind in ("vin", "hin", "engine", "plate", "document", "serial"):
        assert f"<code>{kind}</code>" in html, kind


def test_upload_run_progress_and_results(client_for, reg, run_tasks, django_capture_on_commit_callbacks):
    alert = boat_alert(reg)
    client = client_for(reg.marina)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, reg)
    batch = BatchCheck.objects.get()
    assert response.status_code == 302 and response["Location"] == batch_url(reg, batch)
    assert (batch.total, batch.status, batch.user, batch.context) == (4, "queued", reg.marina, "purchase")

    # Queued: the progress bar asks for itself every 2 seconds.
    page = client.get(batch_url(reg, batch)).content.decode()
    assert "<progress" in page and 'max="4" value="0"' in page
    assert "0 of 4 rows checked" in page
    assert 'hx-trigger="every 2s"' in page and f'hx-get="{batch_url(reg, batch)}"' in page
    fragment = client.get(batch_url(reg, batch), **HX).content.decode()
    assert "<html" not in fragment and 'hx-trigger="every 2s"' in fragment

    run_tasks()

    # Done: no more polling; the figures, the problems by line and the link to the results.
    page = client.get(batch_url(reg, batch)).content.decode()
    assert "4 of 4 rows checked" in page and 'max="4" value="4"' in page
    assert "every 2s" not in page
    assert re.search(r'id="batch-hits">1<', page)
    assert re.search(r'id="batch-rejected">1<', page)
    problems = page.split('id="batch-problems"')[1].split("</table>")[0]
    assert re.search(r'<th scope="row">\s*4\s*</th>\s*<td>value</td>', problems), problems
    assert "Partial identifiers" in problems
    assert batch_url(reg, batch, "batch_results") in page
    fragment = client.get(batch_url(reg, batch), **HX).content.decode()
    assert "every 2s" not in fragment and "4 of 4 rows checked" in fragment
    assert_nothing_of_the_alert(page, alert)

    # The results: the hit with its line, and nothing else about the alert.
    response = client.get(batch_url(reg, batch, "batch_results"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows == [
        ["line", "kind", "value", "reference", "action", "note", "outcome"],
        [
            "3",
            "hin",
            "nl-xyz98765-e505",
            alert.reference,
            str(HitAction.HOLD.label),
            alert.action_note,
            "Hit: follow the action; the police unit has been told.",
        ],
    ]
    assert_nothing_of_the_alert(body, alert)
    assert Check.objects.filter(batch=batch).count() == 3


def assert_nothing_of_the_alert(text: str, alert) -> None:
    lowered = text.lower()
    for secret in (
        alert.description,
        alert.case_reference,
        alert.legal_basis,
        "Polisen Malmö",
        "SEABC12345D404",
    ):
        assert secret.lower() not in lowered, secret


def test_the_batch_list_shows_my_organisations_batches(client_for, reg):
    mine = services.batch_create(
        user=reg.marina, membership=reg.m_marina, file=csv_upload(), context="routine"
    )
    theirs = services.batch_create(user=reg.city, membership=reg.m_city, file=csv_upload(), context="routine")
    html = (
        client_for(reg.marina).get(reverse("registry:batches", args=[reg.partnership.code])).content.decode()
    )
    assert batch_url(reg, mine) in html and batch_url(reg, theirs) not in html
    assert "0 of 4" in html and "Queued" in html
    assert reverse("registry:batch_new", args=[reg.partnership.code]) in html


def test_a_file_without_a_value_column_is_refused_at_the_file_field(client_for, reg):
    response = upload(client_for(reg.marina), reg, text="kind,number\nvin,WBA71DC010CH14720\n")
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_file_error"' in html
    assert "value" in html.split('id="id_file_error"')[1].split("</ul>")[0]
    assert not BatchCheck.objects.exists()


def test_an_empty_context_is_refused_at_its_field(client_for, reg):
    response = upload(client_for(reg.marina), reg, context="")
    assert response.status_code == 422
    assert 'id="id_context_error"' in response.content.decode()
    assert not BatchCheck.objects.exists()


def test_the_daily_quota_answers_429(client_for, reg, settings):
    settings.SAFEPACT_REGISTRY_RATE_LIMITS = {
        **settings.SAFEPACT_REGISTRY_RATE_LIMITS,
        "batch_rows_per_day": 3,
    }
    response = upload(client_for(reg.marina), reg)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert 'id="error-summary"' in response.content.decode()
    assert not BatchCheck.objects.exists()
