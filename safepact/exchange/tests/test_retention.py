"""Retention: the daily purge of expired posts, documents and requests (with their files), its tombstones, the
per-partnership periods and their bounds, and legal holds."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.exchange import services
from safepact.exchange.models import (
    Answer,
    Assessment,
    Attachment,
    Document,
    DocumentVersion,
    ExchangeSettings,
    InformationRequest,
    Post,
    RequestRecipient,
    SearchEntry,
)
from safepact.exchange.tests.factories import media_root, search_stub  # noqa: F401 - fixtures
from safepact.exchange.tests.register_factories import (
    make_assessment,
    orm_answer,
    orm_document,
    orm_post,
    orm_request,
)
from safepact.lib import clock
from safepact.lib.tlp import TLP

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root", "search_stub")]

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "Jan Jansen of Example Street 1 sold the engine"


@pytest.fixture(autouse=True)
def _clock():
    with clock.frozen(NOW):
        yield


def ago(days: int, hours: int = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours)


def purge(capture):
    """Run the purge and the after-commit callbacks (file deletion) like a committed transaction would."""
    with capture(execute=True):
        return services.retention_purge()


def paths(rows) -> list[str]:
    return [row.file.name for row in rows]


def exists(names) -> list[bool]:
    return [default_storage.exists(name) for name in names]


# Posts ---------------------------------------------------------------------------------------------


def test_expired_post_is_purged_with_its_files_and_a_tombstone(world, django_capture_on_commit_callbacks):
    post = orm_post(
        world, world.member, TLP.RED, people=[world.member], title=SECRET, body=SECRET, at=ago(731), files=2
    )
    files = paths(Attachment.objects.filter(post=post))
    assert exists(files) == [True, True]
    assert purge(django_capture_on_commit_callbacks) == {"post": 1, "document": 0, "request": 0}
    assert not Post.objects.filter(pk=post.pk).exists()
    assert not Attachment.objects.exists()
    assert exists(files) == [False, False]
    event = AuditEvent.objects.get(action="exchange.post.purged")
    assert event.target_code == str(post.code) and event.partnership_code == str(world.partnership_a.code)
    assert event.actor_code == "" and event.actor_label == "safepact"
    assert event.after["code"] == str(post.code) and event.after["tlp"] == "red"
    assert event.after["created_at"].startswith("2024-03-01") and event.after["retention_days"] == 730
    assert event.after["files"] == 2
    # A tombstone: no title, no text, not even in the target's label.
    assert "Jansen" not in json.dumps(
        [event.target_label, event.after, event.before, event.reason], ensure_ascii=False
    )


def test_green_post_tombstone_has_no_title_either(world, django_capture_on_commit_callbacks):
    post = orm_post(world, world.member, TLP.GREEN, title=SECRET, at=ago(800))
    purge(django_capture_on_commit_callbacks)
    event = AuditEvent.objects.get(action="exchange.post.purged")
    assert "Jansen" not in event.target_label and event.target_label.startswith(f"post {post.code}")


def test_post_within_its_retention_period_is_kept(world, django_capture_on_commit_callbacks):
    # Kept for the whole 730th day; purged from the next day on.
    post = orm_post(world, world.member, at=ago(730) + timedelta(hours=12), files=1)
    assert purge(django_capture_on_commit_callbacks)["post"] == 0
    assert Post.objects.filter(pk=post.pk).exists()
    assert exists(paths(Attachment.objects.filter(post=post))) == [True]
    clock.advance(timedelta(days=1))
    assert purge(django_capture_on_commit_callbacks)["post"] == 1
    assert not Post.objects.filter(pk=post.pk).exists()


def test_post_is_purged_by_its_creation_not_its_last_change(world, django_capture_on_commit_callbacks):
    orm_post(world, world.member, at=ago(900), updated_at=ago(1))
    assert purge(django_capture_on_commit_callbacks)["post"] == 1


def test_search_entry_is_removed(world, django_capture_on_commit_callbacks, request):
    search = request.getfixturevalue("search_stub")
    post = orm_post(world, world.member, at=ago(900))
    search.index_item(post)
    purge(django_capture_on_commit_callbacks)
    if hasattr(search, "unindexed"):  # the stand-in while the search module is being written
        assert [item.code for item in search.unindexed] == [post.code]
    assert not SearchEntry.objects.filter(post_id=post.pk).exists()


# Documents ---------------------------------------------------------------------------------------


def test_document_is_purged_by_its_last_change_with_every_version(world, django_capture_on_commit_callbacks):
    old = orm_document(world, world.member, at=ago(4000), updated=ago(1826), versions=3)
    recent = orm_document(world, world.member, at=ago(4000), updated=ago(1000), versions=1)
    old_files = paths(DocumentVersion.objects.filter(document=old))
    assert purge(django_capture_on_commit_callbacks) == {"post": 0, "document": 1, "request": 0}
    assert list(Document.objects.values_list("pk", flat=True)) == [recent.pk]
    assert exists(old_files) == [False, False, False]
    assert exists(paths(DocumentVersion.objects.filter(document=recent))) == [True]
    assert AuditEvent.objects.get(action="exchange.document.purged").after["files"] == 3


# Requests ----------------------------------------------------------------------------------------


def closed_request(world, closed_days_ago: int, **kwargs):
    request = orm_request(
        world,
        world.coordinator,
        TLP.AMBER,
        to=[world.org_city_a],
        orgs=[world.org_police_a, world.org_city_a],
        at=ago(closed_days_ago + 30),
        closed=ago(closed_days_ago),
        files=1,
        **kwargs,
    )
    orm_answer(request, world.member, world.org_city_a, orgs=[world.org_police_a, world.org_city_a], files=1)
    return request


def test_closed_request_is_purged_with_answers_and_files_and_the_assessment_stays(
    world, django_capture_on_commit_callbacks
):
    assessment = make_assessment(world.partnership_a, world.coordinator)
    request = closed_request(world, 366, assessment=assessment)
    files = paths(Attachment.objects.all())
    assert len(files) == 2
    assert purge(django_capture_on_commit_callbacks) == {"post": 0, "document": 0, "request": 1}
    assert not InformationRequest.objects.exists()
    assert not Answer.objects.exists() and not RequestRecipient.objects.exists()
    assert exists(files) == [False, False]
    assert Assessment.objects.filter(pk=assessment.pk).exists()
    event = AuditEvent.objects.get(action="exchange.request.purged")
    assert event.after["code"] == str(request.code) and len(event.after["answers"]) == 1
    assert event.after["closed_at"].startswith("2025-03-01") and event.after["files"] == 2


def test_request_is_counted_from_its_closing(world, django_capture_on_commit_callbacks):
    # Last changed long ago but closed recently: kept.
    request = closed_request(world, 100, updated_at=ago(2000))
    assert purge(django_capture_on_commit_callbacks)["request"] == 0
    assert InformationRequest.objects.filter(pk=request.pk).exists()


def test_open_request_is_counted_from_its_last_change(world, django_capture_on_commit_callbacks):
    stale = orm_request(world, world.coordinator, TLP.GREEN, to=[world.org_city_a], at=ago(400))
    active = orm_request(
        world, world.coordinator, TLP.GREEN, to=[world.org_city_a], at=ago(400), updated_at=ago(3)
    )
    assert purge(django_capture_on_commit_callbacks)["request"] == 1
    assert list(InformationRequest.objects.values_list("pk", flat=True)) == [active.pk]
    assert stale.pk != active.pk


# Legal holds -------------------------------------------------------------------------------------


def test_legal_hold_keeps_an_expired_item_until_lifted(world, django_capture_on_commit_callbacks):
    post = orm_post(world, world.member, at=ago(1000), files=1)
    services.legal_hold_set(
        actor=world.coordinator, item=post, hold=True, reason="Case 2026-114, court order"
    )
    assert purge(django_capture_on_commit_callbacks)["post"] == 0
    post.refresh_from_db()
    assert post.legal_hold and post.legal_hold_reason == "Case 2026-114, court order"
    assert exists(paths(Attachment.objects.filter(post=post))) == [True]
    services.legal_hold_set(actor=world.coordinator, item=post, hold=False, reason="Case closed")
    post.refresh_from_db()
    assert not post.legal_hold and post.legal_hold_reason == ""
    assert purge(django_capture_on_commit_callbacks)["post"] == 1
    held, released = AuditEvent.objects.filter(
        action__in=["exchange.post.held", "exchange.post.released"]
    ).order_by("seq")
    assert held.after["legal_hold"] and held.reason == "Case 2026-114, court order"
    assert not released.after["legal_hold"] and released.before == {"legal_hold": True}


def test_held_document_and_held_answer_keep_their_items(world, django_capture_on_commit_callbacks):
    document = orm_document(world, world.member, updated=ago(2000))
    request = closed_request(world, 400)
    services.legal_hold_set(actor=world.coordinator, item=document, hold=True, reason="Investigation")
    answer = Answer.objects.get(request=request)
    services.legal_hold_set(actor=world.coordinator, item=answer, hold=True, reason="Investigation")
    assert purge(django_capture_on_commit_callbacks) == {"post": 0, "document": 0, "request": 0}
    assert Document.objects.filter(pk=document.pk).exists()
    assert (
        InformationRequest.objects.filter(pk=request.pk).exists()
        and Answer.objects.filter(pk=answer.pk).exists()
    )


def test_a_hold_needs_a_reason(world):
    post = orm_post(world, world.member)
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as error:
            services.legal_hold_set(actor=world.coordinator, item=post, hold=True, reason=reason)
        assert set(error.value.message_dict) == {"reason"}
    with pytest.raises(ValidationError) as error:
        services.legal_hold_set(actor=world.coordinator, item=post, hold=True, reason="x" * 301)
    assert set(error.value.message_dict) == {"reason"}
    post.refresh_from_db()
    assert not post.legal_hold
    assert not AuditEvent.objects.filter(action="exchange.post.held").exists()


@pytest.mark.parametrize(
    ("persona", "error"),
    [
        ("member", PermissionDenied),
        ("viewer", PermissionDenied),
        ("outsider", Http404),
        ("coordinator_b", Http404),
    ],
)
def test_only_coordinators_set_a_hold(world, persona, error):
    post = orm_post(world, world.member)
    with pytest.raises(error):
        services.legal_hold_set(actor=getattr(world, persona), item=post, hold=True, reason="Mine")
    post.refresh_from_db()
    assert not post.legal_hold


def test_a_hold_on_an_item_the_coordinator_may_not_see_is_404(world):
    secret = orm_post(world, world.member, TLP.RED, people=[world.member], title=SECRET)
    amber = orm_post(world, world.member, TLP.AMBER, orgs=[world.org_city_a])
    for item in (secret, amber):
        with pytest.raises(Http404):
            services.legal_hold_set(actor=world.coordinator, item=item, hold=True, reason="Case 1")
    assert not Post.objects.filter(legal_hold=True).exists()


def test_hold_event_of_a_restricted_item_has_no_title(world):
    post = orm_post(world, world.member, TLP.RED, people=[world.member, world.coordinator], title=SECRET)
    services.legal_hold_set(actor=world.coordinator, item=post, hold=True, reason="Case 7")
    event = AuditEvent.objects.get(action="exchange.post.held")
    assert event.target_code == str(post.code)
    assert "Jansen" not in event.target_label and "TLP:RED" in event.target_label
    green = orm_post(world, world.member, TLP.GREEN, title="Open evening")
    services.legal_hold_set(actor=world.coordinator, item=green, hold=True, reason="Case 8")
    assert (
        AuditEvent.objects.filter(action="exchange.post.held").order_by("seq").last().target_label
        == "Open evening"
    )


def test_setting_the_same_hold_twice_records_once(world):
    post = orm_post(world, world.member)
    services.legal_hold_set(actor=world.coordinator, item=post, hold=True, reason="Case 1")
    services.legal_hold_set(actor=world.coordinator, item=post, hold=True, reason="Case 1")
    services.legal_hold_set(actor=world.coordinator, item=post, hold=False, reason="")
    services.legal_hold_set(actor=world.coordinator, item=post, hold=False, reason="")
    assert AuditEvent.objects.filter(action__startswith="exchange.post.").count() == 2


# Periods per partnership ---------------------------------------------------------------------------


def test_each_partnership_has_its_own_period(world, django_capture_on_commit_callbacks):
    ExchangeSettings.objects.create(partnership=world.partnership_a, post_retention_days=30)
    in_a = orm_post(world, world.member, at=ago(60))
    kept_in_a = orm_post(world, world.member, at=ago(20))
    in_b = orm_post(world, world.coordinator_b, partnership=world.partnership_b, at=ago(60))
    assert purge(django_capture_on_commit_callbacks)["post"] == 1
    assert set(Post.objects.values_list("pk", flat=True)) == {kept_in_a.pk, in_b.pk}
    assert AuditEvent.objects.get(action="exchange.post.purged").after["code"] == str(in_a.code)
    # B keeps the default (730 days).
    clock.advance(timedelta(days=700))
    purge(django_capture_on_commit_callbacks)
    assert not Post.objects.filter(pk=in_b.pk).exists()


def test_a_period_outside_the_bounds_is_held_within_them(world, settings, django_capture_on_commit_callbacks):
    settings.SAFEPACT_EXCHANGE_RETENTION = {**settings.SAFEPACT_EXCHANGE_RETENTION, "post": (90, 365)}
    ExchangeSettings.objects.create(
        partnership=world.partnership_a, post_retention_days=1, document_retention_days=100
    )
    ExchangeSettings.objects.create(partnership=world.partnership_b, post_retention_days=5000)
    young = orm_post(world, world.member, at=ago(60))  # past 1 day, within the 90-day floor
    old_b = orm_post(
        world, world.coordinator_b, partnership=world.partnership_b, at=ago(400)
    )  # past the ceiling
    assert purge(django_capture_on_commit_callbacks)["post"] == 1
    assert list(Post.objects.values_list("pk", flat=True)) == [young.pk]
    assert AuditEvent.objects.get(action="exchange.post.purged").after == {
        "kind": "post",
        "code": str(old_b.code),
        "tlp": "green",
        "created_at": ago(400).isoformat(),
        "updated_at": ago(400).isoformat(),
        "retention_days": 365,
        "files": 0,
    }


def test_one_failing_item_does_not_stop_the_others(world, django_capture_on_commit_callbacks, monkeypatch):
    broken = orm_post(world, world.member, at=ago(900))
    fine = orm_post(world, world.member, at=ago(900))
    real = services.retention._unindex

    def unindex(item):
        if item.pk == broken.pk:
            raise RuntimeError("search is down")
        real(item)

    monkeypatch.setattr(services.retention, "_unindex", unindex)
    assert purge(django_capture_on_commit_callbacks)["post"] == 1
    assert list(Post.objects.values_list("pk", flat=True)) == [broken.pk]
    assert AuditEvent.objects.get(action="exchange.post.purged").target_code == str(fine.code)


def test_purge_twice_is_harmless(world, django_capture_on_commit_callbacks):
    orm_post(world, world.member, at=ago(900), files=1)
    assert purge(django_capture_on_commit_callbacks)["post"] == 1
    assert purge(django_capture_on_commit_callbacks) == {"post": 0, "document": 0, "request": 0}
    assert AuditEvent.objects.filter(action="exchange.post.purged").count() == 1
