"""Query counts of the partner list pages (my checks, my organisation's batches) and of a batch's results
CSV: the same for a few rows as for many (no query per row), hits and their outcomes included."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safepact.registry import services
from safepact.registry.models import BatchCheck
from safepact.registry.tests.conftest import boat_alert

MAX_QUERIES = 12


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def add_checks(reg, start, n, *, hit_every=3):
    for i in range(start, start + n):
        value = "NL-XYZ98765E505" if i % hit_every == 0 else f"SN-{i:06d}"
        services.check_identifier(
            user=reg.marina,
            membership=reg.m_marina,
            kind="hin" if i % hit_every == 0 else "serial",
            value=value,
            context="routine",
        )


def csv_upload(text):
    return SimpleUploadedFile("stock.csv", text.encode("utf-8"), content_type="text/csv")


def test_my_checks_few_and_many(client_for, reg, django_assert_max_num_queries):
    boat_alert(reg)
    client = client_for(reg.marina)
    url = reverse("registry:checks", args=[reg.partnership.code])
    add_checks(reg, 0, 2)
    few = queries(client, url)
    add_checks(reg, 2, 28)
    with django_assert_max_num_queries(MAX_QUERIES):
        many = queries(client, url)
    assert many == few
    html = client.get(url).content.decode()
    assert html.count("Hit: follow the action; the police unit has been told.") == 10


def test_batches_few_and_many(client_for, reg, django_assert_max_num_queries):
    client = client_for(reg.marina)
    url = reverse("registry:batches", args=[reg.partnership.code])

    def add(n):
        for _ in range(n):
            services.batch_create(
                user=reg.marina,
                membership=reg.m_marina,
                file=csv_upload("kind,value\nvin,WBA71DC010CH14720\n"),
                context="routine",
            )

    add(1)
    few = queries(client, url)
    add(11)
    with django_assert_max_num_queries(MAX_QUERIES):
        many = queries(client, url)
    assert many == few
    assert BatchCheck.objects.count() == 12


def test_batch_results_few_and_many(client_for, reg, run_tasks, django_capture_on_commit_callbacks):
    boat_alert(reg)
    client = client_for(reg.marina)

    def batch_of(hits):
        text = "kind,value\n" + "hin,NL-XYZ98765E505\n" * hits
        with django_capture_on_commit_callbacks(execute=True):
            batch = services.batch_create(
                user=reg.marina, membership=reg.m_marina, file=csv_upload(text), context="routine"
            )
        run_tasks()
        return reverse("registry:batch_results", args=[reg.partnership.code, batch.code])

    few_url, many_url = batch_of(1), batch_of(20)
    assert queries(client, few_url) == queries(client, many_url)
    assert client.get(many_url).content.decode().count("\n") == 21
