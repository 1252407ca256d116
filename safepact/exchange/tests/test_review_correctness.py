"""Correctness review of the exchange: the parts written in parallel agree with each other.

* the ``selectors`` and ``services`` packages re-export their modules with ``import *``: no two modules may
  export the same name (the later one would silently shadow the earlier one);
* the daily job does not run the retention purge inside one transaction;
* request states and deadlines on the deployment's calendar (Europe/Brussels), around midnight;
* the Five Safes gate holds when a request changes after its assessment was approved;
* a request's label keeps naming the requesting and the addressed organisations;
* retention: what a purge leaves (tombstone, access log) and what it removes (search entries, files);
* query counts of the dashboard's attention items over many partnerships.
"""

import importlib
import itertools
import pkgutil
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from safepact.exchange import selectors, services
from safepact.exchange.models import (
    AssessmentStatus,
    RequestStatus,
)
from safepact.exchange.tests.factories import media_root  # noqa: F401 - fixture
from safepact.exchange.tests.request_factories import (
    NOW,
    fill_assessment,
    make_cast,
    make_request,
    reload,
    sent_request,
)
from safepact.lib import clock

PERSONAL = ["identification", "ownership"]


@pytest.fixture
def cast(world):
    return make_cast(world, second_coordinator=True)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def brussels(*args) -> datetime:
    return timezone.make_aware(datetime(*args), timezone.get_current_timezone())


# The packages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("package", [selectors, services], ids=["selectors", "services"])
def test_modules_of_a_package_export_disjoint_names(package):
    """``from .x import *`` in ``__init__``: a name exported by two modules would shadow the first."""
    exported = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        assert hasattr(module, "__all__"), f"{module.__name__} has no __all__"
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert not missing, f"{module.__name__}.__all__ names what it does not define: {missing}"
        exported[info.name] = set(module.__all__)
    clashes = {
        (a, b): sorted(exported[a] & exported[b])
        for a, b in itertools.combinations(sorted(exported), 2)
        if exported[a] & exported[b]
    }
    assert clashes == {}
    # and the package re-exports every module's names, each from its own module
    for name, names in exported.items():
        module = importlib.import_module(f"{package.__name__}.{name}")
        for exported_name in names:
            assert getattr(package, exported_name) is getattr(module, exported_name), exported_name


# The daily job -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_daily_job_runs_the_register_and_the_purge_outside_any_transaction(monkeypatch):
    """Each purged item is its own transaction (its files leave storage as it commits): the job must not
    wrap the purge (nor the review reminders) in one long transaction."""
    from safepact.exchange.services import daily, register, retention

    seen = {}

    def spy(name, result):
        def step(*, on):
            seen[name] = connection.in_atomic_block
            return result

        return step

    monkeypatch.setattr(register, "flow_review_reminders", spy("flows", 0))
    monkeypatch.setattr(retention, "retention_purge", spy("purge", {}))
    result = daily.run_daily()
    assert seen == {"flows": False, "purge": False}
    assert result["failed"] == []


@pytest.mark.django_db(transaction=True)
def test_the_daily_job_deletes_a_purged_post_s_files_as_it_goes(world, media_root):  # noqa: F811
    from django.core.files.storage import default_storage

    from safepact.exchange.models import Attachment, Post
    from safepact.exchange.services import daily
    from safepact.exchange.tests.factories import make_post, upload

    post = make_post(world, world.coordinator, title="Old news", files=[upload("old.pdf")])
    name = Attachment.objects.get(post=post).file.name
    assert default_storage.exists(name)
    clock.advance(timedelta(days=800))
    result = daily.run_daily()
    assert result["purged"]["post"] == 1 and result["failed"] == []
    assert not Post.objects.filter(pk=post.pk).exists()
    assert not default_storage.exists(name)


# Request states and deadlines ------------------------------------------------------------------------


def run_at(moment: datetime) -> dict:
    """Move the frozen clock to ``moment`` and run the daily job."""
    from safepact.exchange.services import daily

    clock.advance(moment - clock.now())
    return daily.run_daily()


def test_overdue_answered_declined_and_closed_in_turn(world, cast):
    """sent -> overdue (day after the deadline) -> one organisation declines (still overdue) -> the other
    answers (answered, never overdue again, escalated once) -> closed."""
    request = sent_request(world, cast)  # to the city and the shop, deadline 11 June
    assert request.deadline == NOW.date() + timedelta(days=7)
    assert run_at(brussels(2025, 6, 12, 6, 30))["overdue"] == 1
    assert reload(request).status == RequestStatus.OVERDUE and reload(request).escalated_at is not None
    services.request_decline(actor=cast.dealer, request=reload(request), reason="We sold no engines.")
    assert reload(request).status == RequestStatus.OVERDUE
    services.request_answer(actor=world.member, request=reload(request), text="Jan Jansen.")
    assert reload(request).status == RequestStatus.ANSWERED
    result = run_at(brussels(2025, 6, 13, 6, 30))
    assert (result["overdue"], result["escalations"], result["reminders"]) == (0, 0, 0)
    assert reload(request).status == RequestStatus.ANSWERED
    closed = services.request_close(actor=world.coordinator, request=reload(request))
    assert closed.status == RequestStatus.CLOSED and closed.closed_at == clock.now()


def test_a_decline_then_an_answer_is_answered_and_all_declines_are_declined(world, cast):
    first = sent_request(world, cast)
    services.request_decline(actor=cast.dealer, request=first, reason="Not ours.")
    services.request_answer(actor=world.member, request=reload(first), text="Jan Jansen.")
    assert reload(first).status == RequestStatus.ANSWERED
    second = sent_request(world, cast, title="Second")
    run_at(brussels(2025, 6, 12, 6, 30))
    assert reload(second).status == RequestStatus.OVERDUE
    services.request_decline(actor=cast.dealer, request=reload(second), reason="Not ours.")
    services.request_decline(actor=world.member, request=reload(second), reason="Not ours either.")
    assert reload(second).status == RequestStatus.DECLINED


def test_the_deadline_day_ends_at_midnight_in_brussels_not_in_utc(world, cast):
    """Deadline 11 June. At 00:30 on 12 June in Brussels it is still 11 June in UTC: the request is overdue
    all the same; at 23:59 on 11 June it is not."""
    request = sent_request(world, cast)
    assert run_at(brussels(2025, 6, 11, 23, 59))["overdue"] == 0
    late = brussels(2025, 6, 12, 0, 30)
    assert late.astimezone(UTC).date() == request.deadline  # the UTC calendar lags
    assert run_at(late)["overdue"] == 1
    assert reload(request).status == RequestStatus.OVERDUE


def test_reminders_and_new_deadlines_use_the_brussels_calendar(world, cast):
    from django.core.exceptions import ValidationError

    request = sent_request(world, cast)  # deadline 11 June, reminders 2 days before: from 9 June
    assert run_at(brussels(2025, 6, 8, 23, 59))["reminders"] == 0
    assert run_at(brussels(2025, 6, 9, 0, 15))["reminders"] == 2  # 8 June in UTC
    assert run_at(brussels(2025, 6, 9, 0, 20))["reminders"] == 0  # once
    assert set(reload(request).recipients.values_list("reminded_at", flat=True)) != {None}
    # at 00:15 on 9 June (Brussels) a deadline of 8 June is in the past, though UTC still says 8 June
    with pytest.raises(ValidationError) as error:
        make_request(world, cast, deadline=brussels(2025, 6, 8, 12).date())
    assert "deadline" in error.value.message_dict
    assert make_request(world, cast, deadline=brussels(2025, 6, 9, 12).date()).status == RequestStatus.DRAFT


def test_an_approval_expiring_at_midnight_no_longer_sends_the_request(world, cast):
    request = make_request(world, cast, data_categories=PERSONAL, deadline=NOW.date() + timedelta(days=20))
    assessment = services.assessment_create(
        actor=world.coordinator, partnership=world.partnership_a, title="Engine owners", request=request
    )
    fill_assessment(assessment, world.coordinator)
    services.assessment_submit(actor=world.coordinator, assessment=assessment)
    services.assessment_decide(
        actor=cast.coordinator2, assessment=assessment, decision="approved", valid_until=NOW.date()
    )
    clock.advance(brussels(2025, 6, 5, 0, 10) - clock.now())  # 4 June in UTC, 5 June here
    request = services.request_submit(actor=world.coordinator, request=reload(request))
    assert request.status == RequestStatus.AWAITING_ASSESSMENT
    assert request.assessment_id != assessment.pk
    assert reload(assessment).status == AssessmentStatus.APPROVED  # kept on record as decided


# Retention -----------------------------------------------------------------------------------------


def purge_on(day) -> dict:
    from safepact.exchange.services import retention_purge

    return retention_purge(on=day)


def test_a_purged_post_leaves_a_tombstone_and_its_access_log_but_no_text_anywhere(world, cast, media_root):  # noqa: F811
    """What a purged post leaves: the audit tombstone (code, label, dates), and the access log rows (who
    read it and when: accountability, like the audit trail; they hold no text). What goes: the post, its
    search entry and the notifications that carry its title (in the app, and in the next digest e-mail)."""
    from safepact.audit.models import AuditEvent
    from safepact.exchange.models import AccessLog, Post, SearchEntry
    from safepact.exchange.tests.factories import make_post
    from safepact.notifications.models import Notification

    green = make_post(world, world.coordinator, title="Jan Jansen sells engines")
    amber = make_post(world, world.coordinator, tlp="amber", orgs=[world.org_city_a], title="Amber")
    services.access_record(user=world.member, item=amber)
    assert Notification.objects.filter(title__contains="Jan Jansen").exists()
    assert Notification.objects.filter(url__contains=str(amber.code)).exists()
    clock.advance(timedelta(days=700))
    kept = make_post(world, world.coordinator, title="Recent news")
    clock.advance(timedelta(days=40))
    assert purge_on(clock.today())["post"] == 2
    assert list(Post.objects.all()) == [kept]
    assert not SearchEntry.objects.filter(post_id__in=[green.pk, amber.pk]).exists()
    assert not Notification.objects.filter(title__contains="Jan Jansen").exists()
    assert not Notification.objects.filter(url__contains=str(green.code)).exists()
    assert not Notification.objects.filter(url__contains=str(amber.code)).exists()
    assert Notification.objects.filter(url__contains=str(kept.code)).exists()  # only the purged items' go
    tombstone = AuditEvent.objects.get(action="exchange.post.purged", after__code=str(green.code))
    assert "Jan Jansen" not in str(tombstone.after) + tombstone.target_label
    assert AccessLog.objects.filter(item_code=amber.code).count() == 1  # kept as the record of access


def test_a_purged_request_takes_the_notifications_of_its_answers_along(world, cast):
    from safepact.exchange.models import InformationRequest
    from safepact.notifications.models import Notification

    request = sent_request(world, cast, tlp="green", title="Owner of engine 12345")
    services.request_answer(actor=world.member, request=request, text="Jan Jansen.", tlp="green")
    services.request_close(actor=world.coordinator, request=reload(request))
    assert Notification.objects.filter(title__contains="engine 12345").count() >= 2  # sent, answered
    clock.advance(timedelta(days=367))
    assert purge_on(clock.today())["request"] == 1
    assert not InformationRequest.objects.filter(pk=request.pk).exists()
    assert not Notification.objects.filter(title__contains="engine 12345").exists()
    assert not Notification.objects.filter(url__contains=str(request.code)).exists()


def test_a_deleted_post_takes_its_notifications_along(world, cast):
    from safepact.exchange.models import SearchEntry
    from safepact.exchange.tests.factories import make_post
    from safepact.notifications.models import Notification

    post = make_post(world, world.coordinator, title="Posted by mistake: Jan Jansen")
    assert Notification.objects.filter(url__contains=str(post.code)).exists()
    services.post_delete(actor=world.coordinator, post=post)
    assert not Notification.objects.filter(url__contains=str(post.code)).exists()
    assert not SearchEntry.objects.filter(title__contains="Jan Jansen").exists()


# Query counts --------------------------------------------------------------------------------------


def test_the_dashboard_attention_takes_the_same_queries_for_many_partnerships(world):
    """A person coordinating in many partnerships, with requests waiting for their organisation's answer
    and assessments waiting for their decision in each: the same queries for three as for one."""
    from django.test.utils import CaptureQueriesContext

    from conftest import add_member, make_user
    from safepact.exchange.selectors import request_attention
    from safepact.partnerships.models import Membership
    from safepact.partnerships.selectors import active_memberships
    from safepact.partnerships.services import partnership_create

    person = make_user("many@partners.example", "Mia Many")

    def join(number: int):
        partnership = (
            world.partnership_b
            if number == 0
            else partnership_create(
                actor=world.coordinator_b,
                organisation=world.org_b,
                name=f"Business park {number}",
                purpose="Safe business parks.",
                country="NL",
            )
        )
        membership = add_member(
            coordinator=world.coordinator_b,
            partnership=partnership,
            user=person,
            role="coordinator",
            new_organisation={"name": f"Shop {number}", "kind": "business", "country": "NL"},
        )
        assert isinstance(membership, Membership)
        request = services.request_create(
            actor=world.coordinator_b,
            partnership=partnership,
            title=f"Stolen pallets {number}",
            question="Did you see them?",
            purpose="Find the pallets.",
            legal_basis="public_task",
            deadline=clock.today() + timedelta(days=5),
            tlp="green",
            recipient_partners=[membership.partner],
        )
        services.request_submit(actor=world.coordinator_b, request=request)
        assessment = services.assessment_create(
            actor=world.coordinator_b, partnership=partnership, title=f"Camera images {number}"
        )
        fill_assessment(assessment, world.coordinator_b)
        services.assessment_submit(actor=world.coordinator_b, assessment=assessment)

    def count() -> tuple[int, int]:
        memberships = list(active_memberships(person).select_related("partner__partnership"))
        with CaptureQueriesContext(connection) as captured:
            items = request_attention(user=person, memberships=memberships)
        return len(captured.captured_queries), sum(len(found) for found in items.values())

    join(0)
    one, items = count()
    assert items == 2
    join(1)
    join(2)
    three, items = count()
    assert items == 6
    assert three == one


def test_a_waiting_request_that_no_longer_asks_personal_data_is_a_draft_to_send_again(
    world, cast, client_for
):
    """Awaiting assessment only means something while the request asks for personal data: without it the
    request is a draft again, which its page offers to send (it offers sending only for drafts)."""
    from django.urls import reverse

    request = services.request_submit(
        actor=world.coordinator, request=make_request(world, cast, data_categories=PERSONAL)
    )
    assert request.status == RequestStatus.AWAITING_ASSESSMENT
    request = services.request_update(actor=world.coordinator, request=request, data_categories=[])
    assert reload(request).status == RequestStatus.DRAFT
    page = client_for(world.coordinator).get(
        reverse("exchange:request", args=[world.partnership_a.code, request.code])
    )
    assert reverse("exchange:request_submit", args=[world.partnership_a.code, request.code]) in page.text
    assert (
        services.request_submit(actor=world.coordinator, request=reload(request)).status == RequestStatus.SENT
    )


def test_the_author_of_an_answer_sees_who_read_it(client, world):
    """ "An author sees who accessed their item": answers too. The requester's read of the AMBER answer is in
    the answer's access log, which its author (and coordinators) open from the request page; a fellow
    addressed organisation, which may not read the answer, gets 404."""
    from safepact.exchange.models import AccessLog
    from safepact.exchange.tests.request_factories import make_cast, sent_request

    cast = make_cast(world)
    request = sent_request(world, cast)  # TLP:AMBER to the city and the dealer's shop
    answer = services.request_answer(actor=world.member, request=request, text="The city knows the owner.")
    page = f"/p/{world.partnership_a.code}/exchange/requests/{request.code}/"
    log = f"/p/{world.partnership_a.code}/exchange/access/answer/{answer.code}/"

    client.force_login(world.coordinator)  # the requester reads the answer on the request page
    assert client.get(page).status_code == 200
    assert AccessLog.objects.filter(
        item_kind="answer", item_code=answer.code, user=world.coordinator
    ).exists()

    client.force_login(world.member)  # the answer's author
    body = client.get(page).content.decode()
    assert log in body
    response = client.get(log)
    assert response.status_code == 200 and world.coordinator.full_name in response.content.decode()

    client.force_login(cast.dealer)  # addressed too, but the city's answer is not theirs to read
    assert client.get(log).status_code == 404
    client.force_login(world.outsider)
    assert client.get(log).status_code == 404
