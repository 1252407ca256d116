"""Registry API, batch checks: a CSV uploaded through the API is checked by the background task, with its
progress, the lines it could not check and its hits (reference and action only); batches are shared within
the uploading organisation and nobody else's; bad files name the field; the daily quota answers 429; lists
cost the same for few and many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safepact.audit.models import AuditEvent
from safepact.registry.models import BatchCheck, Check, Hit
from safepact.registry.tests.conftest import boat_alert
from safepact.registry.tests.test_api_access import _media, base, batch_of, csv_file  # noqa: F401 - fixture
from safepact.registry.tests.test_api_checks import assert_no_secrets

STOCK = (
    "kind,value,manufacturer\n"
    "hin,DE-ZZZ11111A111,\n"
    "hin,nl-xyz98765e505,\n"
    "imei,35-417803-685978-2,\n"
    "engine,6ML-1034567,Yamaha\n"
    "vin,WBA71DC010CH14720,\n"
)


def upload(client, reg, text=STOCK, name="stock.csv", context="purchase"):
    return client.post(f"{base(reg)}/batches", {"file": csv_file(text, name), "context": context})


def test_upload_run_and_read_progress_problems_and_hits(
    client, reg, run_tasks, django_capture_on_commit_callbacks
):
    alert = boat_alert(reg)
    client.force_login(reg.marina)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, reg)
    assert response.status_code == 201, response.content
    queued = response.json()
    assert queued["status"] == "queued"
    assert (queued["total"], queued["processed"], queued["progress"]) == (5, 0, 0)
    assert queued["file_name"] == "stock.csv"
    assert queued["uploaded_by"]["full_name"] == "Hanna Harbour"
    assert AuditEvent.objects.filter(action="registry.batch.created").count() == 1

    assert len(run_tasks()) == 1
    response = client.get(f"{base(reg)}/batches/{queued['code']}")
    assert response.status_code == 200
    done = response.json()
    assert done["status"] == "done"
    assert (done["total"], done["processed"], done["hits"], done["rejected"]) == (5, 5, 2, 1)
    assert done["progress"] == 100
    assert [problem["line"] for problem in done["problems"]] == [4]
    assert done["error"] == ""
    assert Check.objects.filter(batch__code=queued["code"]).count() == 4

    response = client.get(f"{base(reg)}/batches/{queued['code']}/hits")
    assert response.status_code == 200
    hits = response.json()["items"]
    assert [(h["batch_line"], h["checked_value"]) for h in hits] == [
        (3, "nl-xyz98765e505"),
        (5, "6ML-1034567"),
    ]
    assert {h["reference"] for h in hits} == {alert.reference}
    assert set(hits[0]) == {
        "code",
        "batch_line",
        "checked_value",
        "reference",
        "action",
        "action_text",
        "action_note",
        "outcome",
        "checked_at",
    }
    assert hits[0]["outcome"] == "Hit: follow the action; the police unit has been told."
    # The check log shows the batch's checks with their batch.
    log = client.get(f"{base(reg)}/checks", {"limit": 10}).json()["items"]
    assert {item.get("batch") for item in log} == {queued["code"]}
    # The police unit sees the hits, with their lines.
    assert sorted(Hit.objects.values_list("batch_line", flat=True)) == [3, 5]


def test_hits_of_a_batch_never_show_the_alert(client, reg):
    alert = boat_alert(reg, action_note="Call 114 14.")
    batch = batch_of(reg, reg.marina, reg.m_marina, "kind,value\nhin,NL-XYZ98765E505\n")
    client.force_login(reg.marina)
    response = client.get(f"{base(reg)}/batches/{batch.code}/hits")
    assert response.json()["items"][0]["action_note"] == "Call 114 14."
    # The checked value is the partner's own; the alert's other identifiers and details stay out.
    assert_no_secrets(response.content, alert)


def test_batches_belong_to_the_uploading_organisation(client, reg):
    """The marina's batches: the marina's people list and read them; the city's people, the police and
    customs do not see them (404), viewers are refused (403)."""
    batch = batch_of(reg, reg.marina, reg.m_marina, "kind,value\nhin,DE-ZZZ11111A111\n")
    theirs = batch_of(reg, reg.city, reg.m_city, "kind,value\nhin,DE-ZZZ11111A112\n", name="city.csv")
    client.force_login(reg.marina)
    listed = client.get(f"{base(reg)}/batches").json()
    assert [item["code"] for item in listed["items"]] == [str(batch.code)]
    assert client.get(f"{base(reg)}/batches/{theirs.code}").status_code == 404
    assert client.get(f"{base(reg)}/batches/{theirs.code}/hits").status_code == 404
    for user in (reg.city, reg.police, reg.customs):
        client.force_login(user)
        assert client.get(f"{base(reg)}/batches/{batch.code}").status_code == 404
        assert str(batch.code) not in client.get(f"{base(reg)}/batches").content.decode()
    client.force_login(reg.viewer)
    assert client.get(f"{base(reg)}/batches").status_code == 403


@pytest.mark.parametrize(
    ("text", "name", "context", "field"),
    [
        ("value\nDE-ZZZ11111A111\n", "stock.csv", "purchase", "file"),  # no kind column
        ("kind,value\n", "stock.csv", "purchase", "file"),  # a header and no rows
        ("kind,value\nhin,DE-ZZZ11111A111\n", "stock.exe", "purchase", "file"),
        ("kind,value\nhin,DE-ZZZ11111A111\n", "stock.csv", "curiosity", "context"),
    ],
)
def test_a_bad_upload_names_the_field_and_stores_nothing(client, reg, text, name, context, field):
    client.force_login(reg.marina)
    response = upload(client, reg, text, name, context)
    assert response.status_code == 422, response.content
    assert response.json()["detail"].startswith(f"{field}:")
    assert not BatchCheck.objects.exists()


def test_an_upload_without_a_file_is_refused(client, reg):
    client.force_login(reg.marina)
    response = client.post(f"{base(reg)}/batches", {"context": "purchase"})
    assert response.status_code == 422
    assert "file" in response.json()["detail"]


def test_the_daily_quota_answers_429_with_retry_after(client, reg, settings):
    settings.SAFEPACT_REGISTRY_RATE_LIMITS = {
        **settings.SAFEPACT_REGISTRY_RATE_LIMITS,
        "batch_rows_per_day": 3,
    }
    client.force_login(reg.marina)
    assert upload(client, reg, "kind,value\nhin,DE-ZZZ11111A111\nhin,DE-ZZZ11111A112\n").status_code == 201
    response = upload(client, reg, "kind,value\nhin,DE-ZZZ11111A113\nhin,DE-ZZZ11111A114\n")
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 86400
    assert BatchCheck.objects.count() == 1


def test_batch_lists_cost_the_same_for_few_and_many(client, reg, django_assert_max_num_queries):
    boat_alert(reg)
    hits = "kind,value\n" + "hin,NL-XYZ98765E505\n" * 2
    batch = batch_of(reg, reg.marina, reg.m_marina, hits)
    client.force_login(reg.marina)
    with CaptureQueriesContext(connection) as few_batches:
        assert client.get(f"{base(reg)}/batches").status_code == 200
    with CaptureQueriesContext(connection) as few_hits:
        assert client.get(f"{base(reg)}/batches/{batch.code}/hits").status_code == 200

    many = batch_of(reg, reg.marina, reg.m_marina, "kind,value\n" + "hin,NL-XYZ98765E505\n" * 30)
    for n in range(8):
        batch_of(reg, reg.marina, reg.m_marina, f"kind,value\nhin,DE-ZZZ{n:05d}A111\n")
    with django_assert_max_num_queries(len(few_batches)):
        assert client.get(f"{base(reg)}/batches").json()["count"] == 10
    with django_assert_max_num_queries(len(few_hits)):
        assert client.get(f"{base(reg)}/batches/{many.code}/hits").json()["count"] == 30
