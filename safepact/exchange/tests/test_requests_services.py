"""Information requests through their services: drafting, the recipients of the label, sending, answering,
declining and closing; every refusal (wrong state, wrong person, viewer, outsider, past deadline); nothing
restricted in the audit trail or in notification titles."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from conftest import add_member, make_user
from safepact.audit.models import AuditEvent
from safepact.exchange import selectors, services
from safepact.exchange.models import (
    Answer,
    Attachment,
    InformationRequest,
    RecipientStatus,
    RequestStatus,
    SearchEntry,
)
from safepact.exchange.tests.factories import media_root, upload  # noqa: F401 - fixture
from safepact.exchange.tests.request_factories import NOW, make_cast, make_request, reload, sent_request
from safepact.lib import clock
from safepact.notifications.models import Notification
from safepact.partnerships.models import Partner, PartnerStatus
from safepact.partnerships.tlp import may_see, visible_to

pytestmark = pytest.mark.django_db

TITLE = "Recovered stolen engine"
SECRET_WORDS = ("engine", "12345", "theft", "owner")


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def cast(world):
    return make_cast(world, second_coordinator=True)


def orgs_of(item) -> set[str]:
    return set(item.recipient_organisations.values_list("name", flat=True))


def people_of(item) -> set[str]:
    return set(item.recipient_people.values_list("email", flat=True))


def notified(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True))


def titles(kind: str) -> list[str]:
    return list(Notification.objects.filter(kind=kind).values_list("title", flat=True))


def trail_text(request) -> str:
    """Everything the audit trail holds about the exchange, as one string."""
    events = AuditEvent.objects.filter(action__startswith="exchange.")
    return json.dumps(
        [[e.target_label, e.before, e.after, e.reason] for e in events], ensure_ascii=False
    ).lower()


# Drafting ------------------------------------------------------------------------------------------


def test_a_draft_names_the_requesting_organisation_and_keeps_the_label_recipients_in_step(world, cast):
    request = make_request(world, cast, via_api=True)
    assert request.status == RequestStatus.DRAFT and request.via_api
    assert request.requester_partner == cast.police
    assert request.created_by == world.coordinator
    assert set(request.recipients.values_list("partner__organisation__name", "status")) == {
        ("Malmö stad", RecipientStatus.PENDING),
        ("Sofielund Fastighetsägare", RecipientStatus.PENDING),
    }
    assert orgs_of(request) == {"Polisen Malmö", "Malmö stad", "Sofielund Fastighetsägare"}
    assert people_of(request) == {"coordinator@polisen.example"}
    event = AuditEvent.objects.get(action="exchange.request.created")
    assert event.target_code == str(request.code)
    assert TITLE.lower() not in event.target_label.lower()
    assert event.after["recipients"] == sorted([str(cast.city.code), str(cast.shop.code)])
    assert event.after["tlp"] == "amber" and event.after["via_api"] is True
    assert not any(word in trail_text(request) for word in SECRET_WORDS)


def test_red_names_people_of_every_addressed_organisation(world, cast):
    with pytest.raises(ValidationError) as error:
        make_request(world, cast, tlp="red", recipient_people=[world.member])
    assert "Sofielund Fastighetsägare" in error.value.message_dict["recipient_people"][0]
    request = make_request(world, cast, tlp="red", recipient_people=[world.member, cast.dealer])
    assert people_of(request) == {"member@city.example", "dealer@shop.example", "coordinator@polisen.example"}


def test_named_people_must_take_part_through_an_addressed_organisation(world, cast):
    with pytest.raises(ValidationError) as error:
        make_request(world, cast, tlp="red", recipient_people=[world.member, cast.dealer, cast.garage])
    assert list(error.value.message_dict) == ["recipient_people"]


def _partner_b(world):
    return Partner.objects.get(partnership=world.partnership_b, organisation=world.org_b)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"question": ""}, "question"),
        ({"purpose": ""}, "purpose"),
        ({"legal_basis": "because"}, "legal_basis"),
        ({"national_provision": "x" * 301}, "national_provision"),
        ({"data_categories": ["dna"]}, "data_categories"),
        ({"deadline": "not a date"}, "deadline"),
        ({"tlp": "purple"}, "tlp"),
        ({"partners": []}, "recipient_partners"),
        ({"partners": "own"}, "recipient_partners"),
        ({"partners": "other partnership"}, "recipient_partners"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(world, cast, changes, field):
    if changes.get("partners") == "own":
        changes["partners"] = [cast.police, cast.city]
    elif changes.get("partners") == "other partnership":
        changes["partners"] = [_partner_b(world)]
    with pytest.raises(ValidationError) as error:
        make_request(world, cast, **changes)
    assert field in error.value.message_dict
    assert not InformationRequest.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="exchange.request").exists()


def test_the_deadline_cannot_be_in_the_past(world, cast):
    with pytest.raises(ValidationError) as error:
        make_request(world, cast, deadline=clock.today() - timedelta(days=1))
    assert "past" in error.value.message_dict["deadline"][0]
    assert make_request(world, cast, deadline=clock.today()).deadline == clock.today()


def test_a_suspended_partner_cannot_be_asked(world, cast):
    Partner.objects.filter(pk=cast.shop.pk).update(status=PartnerStatus.SUSPENDED)
    with pytest.raises(ValidationError) as error:
        make_request(world, cast)
    assert "active" in error.value.message_dict["recipient_partners"][0]


def test_partners_can_be_given_as_organisations_or_codes(world, cast):
    request = make_request(world, cast, partners=[world.org_city_a, str(cast.shop.code)])
    assert set(request.recipients.values_list("partner_id", flat=True)) == {cast.city.pk, cast.shop.pk}


def test_viewers_cannot_ask_and_outsiders_do_not_find_the_partnership(world, cast):
    with pytest.raises(PermissionDenied):
        make_request(world, cast, actor=world.viewer, partners=[cast.city])
    for stranger in (world.outsider, world.coordinator_b):
        with pytest.raises(Http404):
            make_request(world, cast, actor=stranger)
    assert not InformationRequest.objects.exists()


def test_attachments_are_checked_and_stored_with_the_request(world, cast, media_root):  # noqa: F811
    request = make_request(world, cast, files=[upload("photo.png"), upload("serial.txt")])
    stored = list(Attachment.objects.filter(request=request).order_by("name"))
    assert [a.name for a in stored] == ["photo.png", "serial.txt"]
    assert all(a.created_by == world.coordinator and a.size > 0 and len(a.sha256) == 64 for a in stored)
    assert all((media_root / a.file.name).exists() for a in stored)


def test_a_bad_attachment_stores_nothing(world, cast, media_root):  # noqa: F811
    with pytest.raises(ValidationError) as error:
        make_request(world, cast, files=[upload("photo.png"), upload("setup.exe")])
    assert "setup.exe" in error.value.message_dict["files"][0]
    assert not InformationRequest.objects.exists() and not Attachment.objects.exists()
    assert not any(media_root.rglob("*")) if media_root.exists() else True


# A draft is not shown to the addressed organisations ------------------------------------------------


@pytest.mark.parametrize("label", ["green", "amber", "red"])
def test_a_draft_is_hidden_from_the_addressed_organisations_until_it_is_sent(world, cast, label):
    people = [world.member, cast.dealer] if label == "red" else []
    request = make_request(world, cast, tlp=label, recipient_people=people)
    code = world.partnership_a.code
    assert selectors.get_request_for_user(world.coordinator, code, request.code) == request
    for addressed in (world.member, cast.dealer, world.viewer):
        with pytest.raises(Http404):
            selectors.get_request_for_user(addressed, code, request.code)
        assert not selectors.request_list(user=addressed, partnership=world.partnership_a).exists()
    services.request_submit(actor=world.coordinator, request=request)
    assert selectors.get_request_for_user(world.member, code, request.code) == request
    assert list(
        selectors.request_list(user=cast.dealer, partnership=world.partnership_a, box="received")
    ) == [request]


def test_a_coordinator_of_an_addressed_organisation_sees_the_draft(world, cast):
    request = make_request(world, cast)
    found = selectors.get_request_for_user(cast.coordinator2, world.partnership_a.code, request.code)
    assert found == request


# Sending -------------------------------------------------------------------------------------------


def test_without_personal_data_submitting_sends_and_tells_the_addressed_write_members(world, cast):
    request = services.request_submit(actor=world.coordinator, request=make_request(world, cast))
    request = reload(request)
    assert request.status == RequestStatus.SENT and request.sent_at == NOW
    assert request.assessment is None
    # the viewer of the dealer's organisation may read it but cannot answer: not told; the garage is not asked
    assert notified("exchange.request") == [
        "coordinator2@city.example",
        "dealer@shop.example",
        "member@city.example",
    ]
    notification = Notification.objects.filter(kind="exchange.request").first()
    assert notification.tlp == "amber" and notification.body == ""
    assert str(request.code) in notification.url
    assert all(not any(w in t.lower() for w in SECRET_WORDS) for t in titles("exchange.request"))
    assert "Sofielund safety partnership" in notification.title
    assert SearchEntry.objects.filter(request=request).exists()
    sent = AuditEvent.objects.get(action="exchange.request.sent")
    assert sent.before == {"status": "draft"} and sent.after["status"] == "sent"


def test_an_open_request_is_named_in_the_notification(world, cast):
    sent_request(world, cast, tlp="green")
    assert all(TITLE in title for title in titles("exchange.request"))
    assert Notification.objects.filter(kind="exchange.request").first().body.startswith("Answer by")


def test_a_red_request_tells_only_the_named_people(world, cast):
    clerk = make_user("clerk@city.example", "Cleo Clerk")
    add_member(
        coordinator=world.coordinator,
        partnership=world.partnership_a,
        user=clerk,
        role="member",
        organisation=world.org_city_a,
    )
    request = sent_request(world, cast, tlp="red", recipient_people=[world.member, cast.dealer])
    assert notified("exchange.request") == ["dealer@shop.example", "member@city.example"]
    assert not may_see(clerk, request) and not may_see(cast.coordinator2, request)


def test_a_draft_is_not_indexed_for_search(world, cast):
    request = make_request(world, cast)
    assert not SearchEntry.objects.filter(request=request).exists()


def test_only_the_requester_submits(world, cast):
    request = make_request(world, cast)
    with pytest.raises(PermissionDenied):
        services.request_submit(actor=cast.coordinator2, request=request)
    with pytest.raises(Http404):  # an addressed member does not see the draft
        services.request_submit(actor=world.member, request=request)
    with pytest.raises(PermissionDenied):  # viewers are refused before anything is looked up
        services.request_submit(actor=world.viewer, request=request)
    for stranger in (world.outsider, world.coordinator_b):
        with pytest.raises(Http404):
            services.request_submit(actor=stranger, request=request)
    assert reload(request).status == RequestStatus.DRAFT
    assert not Notification.objects.filter(kind="exchange.request").exists()


def test_a_sent_request_cannot_be_submitted_again(world, cast):
    request = sent_request(world, cast)
    with pytest.raises(ValidationError) as error:
        services.request_submit(actor=world.coordinator, request=request)
    assert "status" in error.value.message_dict
    assert Notification.objects.filter(kind="exchange.request").count() == 3


def test_a_draft_past_its_deadline_cannot_be_sent(world, cast):
    request = make_request(world, cast, deadline=clock.today() + timedelta(days=1))
    clock.advance(timedelta(days=2))
    with pytest.raises(ValidationError) as error:
        services.request_submit(actor=world.coordinator, request=request)
    assert "deadline" in error.value.message_dict
    assert reload(request).status == RequestStatus.DRAFT


def test_a_request_to_a_partner_suspended_since_cannot_be_sent(world, cast):
    request = make_request(world, cast)
    Partner.objects.filter(pk=cast.shop.pk).update(status=PartnerStatus.SUSPENDED)
    with pytest.raises(ValidationError) as error:
        services.request_submit(actor=world.coordinator, request=request)
    assert "recipient_partners" in error.value.message_dict


# Changing a draft ----------------------------------------------------------------------------------


def test_the_requester_changes_a_draft_and_the_recipients_follow(world, cast):
    request = make_request(world, cast)
    request = services.request_update(
        actor=world.coordinator,
        request=request,
        title="Recovered stolen engines",
        recipient_partners=[cast.city, cast.garage_partner],
    )
    assert reload(request).title == "Recovered stolen engines"
    assert set(request.recipients.values_list("partner_id", flat=True)) == {
        cast.city.pk,
        cast.garage_partner.pk,
    }
    assert orgs_of(request) == {"Polisen Malmö", "Malmö stad", "Garage Sofielund"}
    event = AuditEvent.objects.get(action="exchange.request.updated")
    assert event.after["texts_changed"] == ["title"]
    assert event.before["recipients"] != event.after["recipients"]
    assert not any(word in trail_text(request) for word in SECRET_WORDS)


def test_named_people_drop_out_with_their_organisation(world, cast):
    request = make_request(world, cast, tlp="red", recipient_people=[world.member, cast.dealer])
    services.request_update(actor=world.coordinator, request=request, recipient_partners=[cast.city])
    assert people_of(request) == {"member@city.example", "coordinator@polisen.example"}


def test_only_the_requester_changes_a_draft_and_only_before_it_is_sent(world, cast):
    request = make_request(world, cast)
    with pytest.raises(PermissionDenied):
        services.request_update(actor=cast.coordinator2, request=request, title="Other")
    with pytest.raises(Http404):
        services.request_update(actor=world.outsider, request=request, title="Other")
    with pytest.raises(ValidationError) as error:
        services.request_update(actor=world.coordinator, request=request, status="sent")
    assert "status" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.request_update(
            actor=world.coordinator, request=request, deadline=clock.today() - timedelta(1)
        )
    assert "deadline" in error.value.message_dict
    services.request_submit(actor=world.coordinator, request=request)
    with pytest.raises(ValidationError) as error:
        services.request_update(actor=world.coordinator, request=request, title="Other")
    assert "status" in error.value.message_dict
    assert reload(request).title == TITLE


# Answering -----------------------------------------------------------------------------------------


def test_an_addressed_member_answers_for_their_organisation(world, cast):
    request = sent_request(world, cast)
    answer = services.request_answer(
        actor=world.member, request=request, text="The last owner is Jan Jansen."
    )
    assert answer.tlp == "amber" and not answer.declined and answer.recipient.partner == cast.city
    assert orgs_of(answer) == {"Polisen Malmö", "Malmö stad"}
    assert people_of(answer) == {"coordinator@polisen.example"}
    request = reload(request)
    assert request.status == RequestStatus.ANSWERED
    city = request.recipients.get(partner=cast.city)
    assert city.status == RecipientStatus.ANSWERED and city.responded_at == NOW
    assert request.recipients.get(partner=cast.shop).status == RecipientStatus.PENDING
    assert notified("exchange.request.answered") == ["coordinator@polisen.example"]
    assert not any(
        "jansen" in t.lower() or "engine" in t.lower() for t in titles("exchange.request.answered")
    )
    event = AuditEvent.objects.get(action="exchange.request.answered")
    assert event.after["answer"] == str(answer.code) and "jansen" not in trail_text(request)


def test_answers_are_seen_by_the_two_organisations_and_not_by_a_third_addressed_one(world, cast):
    request = sent_request(world, cast)
    answer = services.request_answer(actor=world.member, request=request, text="Jan Jansen.")
    answers = Answer.objects.filter(pk=answer.pk)
    for reader in (world.coordinator, world.member, cast.coordinator2):
        assert list(visible_to(reader, answers)) == [answer]
        assert list(selectors.answers_for(user=reader, request=request)) == [answer]
    for other in (cast.dealer, world.viewer, cast.garage, world.outsider, world.coordinator_b):
        assert not visible_to(other, answers).exists()
        assert not selectors.answers_for(user=other, request=request).exists()
    # the dealer still reads the request itself
    assert selectors.get_request_for_user(cast.dealer, world.partnership_a.code, request.code) == request


def test_the_answer_label_follows_the_request_or_is_chosen(world, cast):
    open_request = sent_request(world, cast, tlp="green", title="Open question")
    assert services.request_answer(actor=world.member, request=open_request, text="A").tlp == "amber"
    strict = sent_request(world, cast, tlp="amber+strict", title="Strict question")
    assert services.request_answer(actor=world.member, request=strict, text="B").tlp == "amber+strict"
    chosen = services.request_answer(actor=cast.dealer, request=strict, text="C", tlp="green")
    assert chosen.tlp == "green" and may_see(cast.garage, chosen)
    with pytest.raises(ValidationError) as error:
        services.request_answer(actor=cast.dealer, request=open_request, text="D", tlp="purple")
    assert "tlp" in error.value.message_dict


def test_a_red_answer_is_for_the_requester_in_person(world, cast):
    colleague = make_user("colleague@polisen.example", "Carl Colleague")
    add_member(
        coordinator=world.coordinator,
        partnership=world.partnership_a,
        user=colleague,
        role="member",
        organisation=world.org_police_a,
    )
    request = sent_request(world, cast, tlp="red", recipient_people=[world.member, cast.dealer])
    answer = services.request_answer(actor=world.member, request=request, text="Jan Jansen.")
    assert answer.tlp == "red"
    assert may_see(world.coordinator, answer) and may_see(world.member, answer)
    assert not may_see(colleague, answer) and not may_see(cast.dealer, answer)
    assert Notification.objects.get(kind="exchange.request.answered").tlp == "red"


def test_answering_refusals(world, cast):
    request = sent_request(world, cast)
    with pytest.raises(PermissionDenied):  # reads it (its organisation is addressed) but is read-only
        services.request_answer(actor=world.viewer, request=request, text="x")
    with pytest.raises(PermissionDenied):  # the requesting organisation is not addressed
        services.request_answer(actor=world.coordinator, request=request, text="x")
    for stranger in (cast.garage, world.outsider, world.coordinator_b):  # may not see it at all
        with pytest.raises(Http404):
            services.request_answer(actor=stranger, request=request, text="x")
    with pytest.raises(ValidationError) as error:
        services.request_answer(actor=world.member, request=request, text="   ")
    assert "text" in error.value.message_dict
    services.request_answer(actor=world.member, request=request, text="First answer.")
    with pytest.raises(ValidationError) as error:
        services.request_answer(
            actor=cast.coordinator2, request=request, text="A second answer for the city."
        )
    assert "status" in error.value.message_dict
    assert Answer.objects.count() == 1


def test_a_member_of_an_organisation_that_was_not_asked_cannot_answer_an_open_request(world, cast):
    request = sent_request(world, cast, tlp="green")
    assert may_see(cast.garage, request)
    with pytest.raises(PermissionDenied):
        services.request_answer(actor=cast.garage, request=request, text="I know!")


def test_drafts_and_closed_requests_cannot_be_answered(world, cast):
    draft = make_request(world, cast, tlp="green")
    with pytest.raises(Http404):  # not shown before it is sent
        services.request_answer(actor=world.member, request=draft, text="x")
    request = sent_request(world, cast, tlp="green", title="Another")
    services.request_close(actor=world.coordinator, request=request)
    with pytest.raises(ValidationError) as error:
        services.request_answer(actor=world.member, request=request, text="x")
    assert "status" in error.value.message_dict


def test_answer_attachments_carry_the_answer(world, cast, media_root):  # noqa: F811
    request = sent_request(world, cast)
    answer = services.request_answer(
        actor=world.member, request=request, text="See the invoice.", files=[upload("invoice.pdf")]
    )
    [attachment] = Attachment.objects.filter(answer=answer)
    assert attachment.name == "invoice.pdf" and attachment.request is None
    with pytest.raises(ValidationError) as error:
        services.request_answer(actor=cast.dealer, request=request, text="x", files=[upload("a.docx", b"PK")])
    assert "files" in error.value.message_dict
    assert Answer.objects.count() == 1


# Declining -----------------------------------------------------------------------------------------


def test_declining_needs_a_reason_and_all_declines_decline_the_request(world, cast):
    request = sent_request(world, cast)
    with pytest.raises(ValidationError) as error:
        services.request_decline(actor=world.member, request=request, reason="")
    assert "reason" in error.value.message_dict
    decline = services.request_decline(
        actor=world.member, request=request, reason="No legal ground to share."
    )
    assert decline.declined and decline.tlp == "amber"
    assert reload(request).status == RequestStatus.SENT  # the dealer has not responded yet
    assert request.recipients.get(partner=cast.city).status == RecipientStatus.DECLINED
    services.request_decline(actor=cast.dealer, request=request, reason="We do not keep owners.")
    assert reload(request).status == RequestStatus.DECLINED
    assert notified("exchange.request.declined") == ["coordinator@polisen.example"] * 2
    assert not any("legal ground" in t.lower() for t in titles("exchange.request.declined"))
    with pytest.raises(ValidationError):  # declined is not open
        services.request_answer(actor=world.member, request=request, text="After all...")


def test_a_decline_after_an_answer_leaves_the_request_answered(world, cast):
    request = sent_request(world, cast)
    services.request_decline(actor=cast.dealer, request=request, reason="Not our customer.")
    services.request_answer(actor=world.member, request=request, text="Jan Jansen.")
    assert reload(request).status == RequestStatus.ANSWERED


# Closing -------------------------------------------------------------------------------------------


def test_the_requester_or_a_coordinator_closes(world, cast):
    request = sent_request(world, cast)
    services.request_answer(actor=world.member, request=request, text="Jan Jansen.")
    with pytest.raises(PermissionDenied):
        services.request_close(actor=world.member, request=request)
    with pytest.raises(PermissionDenied):
        services.request_close(actor=world.viewer, request=request)
    with pytest.raises(Http404):
        services.request_close(actor=world.outsider, request=request)
    closed = services.request_close(actor=world.coordinator, request=request)
    assert closed.status == RequestStatus.CLOSED and reload(closed).closed_at == NOW
    with pytest.raises(ValidationError):
        services.request_close(actor=world.coordinator, request=request)
    other = sent_request(world, cast, title="Second")
    assert services.request_close(actor=cast.coordinator2, request=other).status == RequestStatus.CLOSED
    event = AuditEvent.objects.filter(action="exchange.request.closed").first()
    assert event.after == {"status": "closed"}


def test_a_draft_cannot_be_closed(world, cast):
    request = make_request(world, cast)
    with pytest.raises(ValidationError) as error:
        services.request_close(actor=world.coordinator, request=request)
    assert "status" in error.value.message_dict
