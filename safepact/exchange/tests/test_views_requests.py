"""Pages of information requests and Five Safes assessments, through the test client: the journey (draft with
personal data, submit, the assessment filled in by the requester and approved by another coordinator, the
request sent, an addressed member answers, the requester reads the answer), labels (a third organisation
gets 404 on an AMBER request), four eyes on the page, roles (viewer 403 on writes, outsider 404 everywhere)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from safepact.exchange import services
from safepact.exchange.models import (
    AccessLog,
    Answer,
    Assessment,
    AssessmentStatus,
    InformationRequest,
    RecipientStatus,
    RequestStatus,
    Safe,
)
from safepact.exchange.tests.factories import audit_events, media_root, upload  # noqa: F401 - fixture
from safepact.exchange.tests.request_factories import (
    NOW,
    fill_assessment,
    make_cast,
    make_request,
    reload,
    sent_request,
)
from safepact.lib import clock

pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def cast(world):
    return make_cast(world, second_coordinator=True)


def url(world, name, *args):
    return reverse(f"exchange:{name}", args=[world.partnership_a.code, *args])


def request_data(cast, **extra):
    data = {
        "title": "Recovered stolen engine",
        "question": "Who was the **last owner** of the outboard engine with serial 12345?",
        "purpose": "Return the engine to its owner and investigate the theft.",
        "legal_basis": "public_task",
        "national_provision": "Polislagen 8 §",
        "deadline": (clock.today() + timedelta(days=10)).isoformat(),
        "tlp": "amber",
        "recipient_partners": [str(cast.shop.code)],
    }
    data.update(extra)
    return data


def five_safes_data(**extra):
    data = {}
    for safe in Safe.values:
        data[f"answer_{safe}"] = f"Why {safe} is safe."
        data[f"risk_{safe}"] = "low"
        data[f"mitigations_{safe}"] = "Only on the platform."
    data.update(extra)
    return data


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


# The journey ------------------------------------------------------------------------------------------


def test_the_request_journey_through_the_pages(client, world, cast):
    """Police ask the dealer's organisation for ownership data (personal data): draft, submit, Five Safes
    filled in by the requester, approved by the other coordinator, sent, answered, read."""
    client.force_login(world.coordinator)
    page = client.get(url(world, "request_new"))
    assert page.status_code == 200
    assert "Five Safes" in page.content.decode()
    response = client.post(
        url(world, "request_new"),
        request_data(cast, data_categories=["identification", "ownership"]),
    )
    request = InformationRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == url(world, "request", request.code)
    assert request.status == RequestStatus.DRAFT and request.data_categories == [
        "identification",
        "ownership",
    ]

    detail = client.get(url(world, "request", request.code))
    assert detail.status_code == 200
    assert b"<strong>last owner</strong>" in detail.content  # the question as Markdown
    assert b'id="draft-note"' in detail.content

    # Submit: personal data, so it waits for an assessment and the requester is sent to fill it in.
    response = client.post(url(world, "request_submit", request.code))
    request = reload(request)
    assert request.status == RequestStatus.AWAITING_ASSESSMENT and request.assessment is not None
    assessment = request.assessment
    assert response["Location"] == url(world, "assessment", assessment.code)

    page = client.get(url(world, "assessment", assessment.code))
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('class="card five-safe"') == 5
    assert 'name="answer_people"' in body and 'name="risk_outputs"' in body

    # The requester answers the five safes and submits in one go.
    response = client.post(url(world, "assessment", assessment.code), five_safes_data(then="submit"))
    assert response.status_code == 302
    assessment = reload(assessment)
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert assessment.answers.count() == 5

    # The requester cannot decide: the page explains, the decision form is not there.
    page = client.get(url(world, "assessment", assessment.code))
    assert b'id="four-eyes"' in page.content and b'id="decision-form"' not in page.content

    # The other coordinator approves; the request is sent.
    client.force_login(cast.coordinator2)
    page = client.get(url(world, "assessment", assessment.code))
    assert b'id="decision-form"' in page.content
    # Coordinator2's organisation (the city) is not addressed: the AMBER request itself stays hidden.
    assert b'id="request-withheld"' in page.content
    response = client.post(
        url(world, "assessment_decide", assessment.code),
        {"decision": "approved", "valid_until": (clock.today() + timedelta(days=90)).isoformat()},
    )
    assert response.status_code == 302
    assert reload(assessment).status == AssessmentStatus.APPROVED
    request = reload(request)
    assert request.status == RequestStatus.SENT

    # The dealer (a member of the addressed organisation) answers.
    client.force_login(cast.dealer)
    page = client.get(url(world, "request", request.code))
    assert page.status_code == 200 and b'id="answer-form"' in page.content
    response = client.post(
        url(world, "request_answer", request.code),
        {"text": "Sold to *Erik Svensson* in 2023.", "attachments": [upload("receipt.pdf")]},
    )
    assert response.status_code == 302
    answer = Answer.objects.get()
    assert answer.tlp == "amber" and answer.attachments.count() == 1
    assert reload(request).status == RequestStatus.ANSWERED
    assert request.recipients.get().status == RecipientStatus.ANSWERED

    # The requester reads the answer (and its file can be viewed).
    client.force_login(world.coordinator)
    page = client.get(url(world, "request", request.code))
    assert b"<em>Erik Svensson</em>" in page.content
    assert url(world, "attachment_view", answer.attachments.get().code).encode() in page.content

    # A third organisation (the city's member; the garage) gets 404 on the AMBER request and its answer.
    for outsider_of_label in (world.member, cast.garage, cast.coordinator2):
        client.force_login(outsider_of_label)
        assert client.get(url(world, "request", request.code)).status_code == 404
        listed = client.get(url(world, "requests"))
        assert str(request.code) not in listed.content.decode()


def test_every_view_of_a_restricted_request_and_its_answers_is_logged(client, world, cast):
    request = sent_request(world, cast)
    services.request_answer(actor=world.member, request=request, text="Nothing known.")
    client.force_login(world.coordinator)
    client.get(url(world, "request", request.code))
    logged = AccessLog.objects.filter(user=world.coordinator)
    assert {(row.item_kind, row.action) for row in logged} == {("request", "view"), ("answer", "view")}
    green = sent_request(world, cast, tlp="green", title="Anyone seen a blue van?")
    client.get(url(world, "request", green.code))
    assert not AccessLog.objects.filter(item_code=green.code).exists()


# Lists ------------------------------------------------------------------------------------------------


def test_request_list_boxes_status_filter_and_overdue(client, world, cast):
    sent = sent_request(world, cast, title="Sent to the city and the shop")
    mine = make_request(world, cast, actor=world.member, partners=[cast.police], title="City asks the police")
    services.request_submit(actor=world.member, request=mine)
    late = sent_request(world, cast, title="Late one", deadline=clock.today() + timedelta(days=1))
    client.force_login(world.coordinator)
    page = client.get(url(world, "requests"))
    body = page.content.decode()
    assert page.status_code == 200
    assert all(str(r.code) in body for r in (sent, mine, late))

    sent_box = client.get(url(world, "requests"), {"box": "sent"}).content.decode()
    assert str(sent.code) in sent_box and str(mine.code) not in sent_box
    received = client.get(url(world, "requests"), {"box": "received"}).content.decode()
    assert str(mine.code) in received and str(sent.code) not in received

    with clock.frozen(NOW + timedelta(days=3)):
        page = client.get(url(world, "requests"))
    row = page.content.decode().split(f'data-request="{late.code}"')[1].split("</tr>")[0]
    assert 'data-overdue="true"' in row and "overdue" in row

    services.request_close(actor=world.coordinator, request=sent)
    closed = client.get(url(world, "requests"), {"status": "closed"}).content.decode()
    assert str(sent.code) in closed and str(late.code) not in closed


def test_request_list_answers_htmx_with_only_the_results(client, world, cast):
    sent_request(world, cast)
    client.force_login(world.coordinator)
    response = client.get(url(world, "requests"), {"box": "sent"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content and b'id="requests"' in response.content


def test_a_bad_filter_value_falls_back_to_every_request(client, world, cast):
    request = sent_request(world, cast)
    client.force_login(world.coordinator)
    response = client.get(url(world, "requests"), {"box": "nonsense", "status": "nope"})
    assert response.status_code == 200 and str(request.code) in response.content.decode()


# Forms ------------------------------------------------------------------------------------------------


def test_new_request_form_shows_field_errors_and_stores_nothing(client, world, cast):
    client.force_login(world.coordinator)
    response = client.post(
        url(world, "request_new"),
        request_data(
            cast,
            title="",
            deadline=(clock.today() - timedelta(days=1)).isoformat(),
            recipient_partners=[str(cast.police.code)],  # my own organisation
        ),
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "title" in errors
    assert not InformationRequest.objects.exists()
    # Past deadline and own organisation come from the service once the form itself is fine.
    response = client.post(
        url(world, "request_new"),
        request_data(cast, deadline=(clock.today() - timedelta(days=1)).isoformat()),
    )
    assert response.status_code == 422 and "deadline" in response.context["form"].errors
    assert not InformationRequest.objects.exists()
    # The own organisation is not even offered.
    assert str(cast.police.code) not in [
        str(value) for value, _label in response.context["form"].fields["recipient_partners"].choices
    ]


def test_a_bad_attachment_is_refused_with_its_name(client, world, cast):
    client.force_login(world.coordinator)
    response = client.post(
        url(world, "request_new"),
        request_data(cast, attachments=[upload("photo.pdf", b"MZ\x90\x00not a pdf at all")]),
    )
    assert response.status_code == 422
    assert "photo.pdf" in " ".join(response.context["form"].errors["attachments"])
    assert not InformationRequest.objects.exists()


def test_red_request_names_people_of_the_addressed_organisations(client, world, cast):
    client.force_login(world.coordinator)
    membership = cast.shop.memberships.get(user=cast.dealer)
    response = client.post(
        url(world, "request_new"),
        request_data(cast, tlp="red", recipient_people=[str(membership.code)]),
    )
    assert response.status_code == 302
    request = InformationRequest.objects.get()
    assert set(request.recipient_people.all()) == {cast.dealer, world.coordinator}
    services.request_submit(actor=world.coordinator, request=request)
    client.force_login(world.viewer)  # the dealer's organisation, but not named
    assert client.get(url(world, "request", request.code)).status_code == 404
    client.force_login(cast.dealer)
    assert client.get(url(world, "request", request.code)).status_code == 200


def test_the_requester_edits_a_draft_only(client, world, cast):
    request = make_request(world, cast)
    client.force_login(world.coordinator)
    page = client.get(url(world, "request_edit", request.code))
    assert page.status_code == 200 and page.context["form"].initial["title"] == request.title
    data = request_data(cast, title="Recovered stolen engine (serial 12345)")
    data["recipient_partners"] = [str(cast.city.code), str(cast.shop.code)]
    response = client.post(url(world, "request_edit", request.code), data)
    assert response.status_code == 302
    request = reload(request)
    assert request.title == "Recovered stolen engine (serial 12345)"
    assert set(request.recipients.values_list("partner_id", flat=True)) == {cast.city.pk, cast.shop.pk}
    # Another coordinator (not the requester) may not edit it.
    client.force_login(cast.coordinator2)
    assert client.post(url(world, "request_edit", request.code), data).status_code == 403
    # Once sent it cannot change.
    services.request_submit(actor=world.coordinator, request=request)
    client.force_login(world.coordinator)
    response = client.get(url(world, "request_edit", request.code))
    assert response.status_code == 302
    assert "cannot change" in " ".join(messages_of(client.get(response["Location"])))


def test_decline_needs_a_reason_and_all_declines_decline_the_request(client, world, cast):
    request = sent_request(world, cast)
    client.force_login(world.member)
    page = client.get(url(world, "request_decline", request.code))
    assert page.status_code == 200
    response = client.post(url(world, "request_decline", request.code), {"reason": ""})
    assert response.status_code == 422 and "reason" in response.context["form"].errors
    assert not Answer.objects.exists()
    client.post(url(world, "request_decline", request.code), {"reason": "No legal ground to share."})
    client.force_login(cast.dealer)
    client.post(url(world, "request_decline", request.code), {"reason": "We keep no records."})
    assert reload(request).status == RequestStatus.DECLINED
    client.force_login(world.coordinator)
    page = client.get(url(world, "request", request.code))
    assert b"No legal ground to share." in page.content and b"We keep no records." in page.content


def test_answer_page_for_someone_not_addressed_redirects_and_post_is_refused(client, world, cast):
    request = sent_request(world, cast, tlp="green")
    client.force_login(cast.garage)  # sees the GREEN request, but is not addressed
    response = client.get(url(world, "request_answer", request.code))
    assert response.status_code == 302
    assert client.post(url(world, "request_answer", request.code), {"text": "Me!"}).status_code == 403
    assert not Answer.objects.exists()


def test_an_empty_answer_shows_the_error_on_the_answer_page(client, world, cast):
    request = sent_request(world, cast)
    client.force_login(world.member)
    response = client.post(url(world, "request_answer", request.code), {"text": ""})
    assert response.status_code == 422 and "text" in response.context["form"].errors
    assert response.templates[0].name == "exchange/request_answer.html"


def test_close_by_requester_and_not_by_a_member(client, world, cast):
    request = sent_request(world, cast)
    client.force_login(world.member)
    assert client.post(url(world, "request_close", request.code)).status_code == 403
    client.force_login(world.coordinator)
    response = client.post(url(world, "request_close", request.code))
    assert response.status_code == 302 and reload(request).status == RequestStatus.CLOSED


def test_relabel_a_request_lowering_needs_a_reason(client, world, cast):
    request = sent_request(world, cast)
    client.force_login(world.coordinator)
    assert client.get(url(world, "request_label", request.code)).status_code == 200
    response = client.post(url(world, "request_label", request.code), {"tlp": "green"})
    assert response.status_code == 422 and "reason" in response.context["form"].errors
    assert reload(request).tlp == "amber"
    response = client.post(
        url(world, "request_label", request.code), {"tlp": "green", "reason": "Public now."}
    )
    assert response.status_code == 302 and reload(request).tlp == "green"
    assert audit_events("exchange.request.relabelled")
    # Raising it to AMBER again keeps the requesting and addressed organisations as its recipients.
    client.post(url(world, "request_label", request.code), {"tlp": "amber"})
    request = reload(request)
    assert request.tlp == "amber"
    assert set(request.recipient_organisations.all()) == {
        world.org_police_a,
        world.org_city_a,
        world.org_shop_a,
    }
    client.force_login(world.member)  # addressed, but not the requester or a coordinator
    assert client.get(url(world, "request_label", request.code)).status_code == 403


def test_a_rejected_assessment_shows_the_reasoning_to_the_requester(client, world, cast):
    request = make_request(world, cast, data_categories=["identification"])
    services.request_submit(actor=world.coordinator, request=request)
    assessment = reload(request).assessment
    fill_assessment(assessment, world.coordinator)
    services.assessment_submit(actor=world.coordinator, assessment=assessment)
    client.force_login(cast.coordinator2)
    response = client.post(url(world, "assessment_decide", assessment.code), {"decision": "rejected"})
    assert response.status_code == 422 and "note" in response.context["decision_form"].errors
    assert reload(assessment).status == AssessmentStatus.SUBMITTED
    client.post(
        url(world, "assessment_decide", assessment.code),
        {"decision": "rejected", "note": "Ask for the owner only, not the buyers."},
    )
    assert reload(request).status == RequestStatus.DRAFT
    client.force_login(world.coordinator)
    page = client.get(url(world, "request", request.code))
    assert b'id="rejected-note"' in page.content and b"Ask for the owner only" in page.content


# Four eyes --------------------------------------------------------------------------------------------


def test_the_requester_cannot_decide_their_own_assessment_on_the_page(client, world, cast):
    request = make_request(world, cast, data_categories=["ownership"])
    services.request_submit(actor=world.coordinator, request=request)
    assessment = reload(request).assessment
    fill_assessment(assessment, world.coordinator)
    services.assessment_submit(actor=world.coordinator, assessment=assessment)
    client.force_login(world.coordinator)
    page = client.get(url(world, "assessment", assessment.code))
    assert b"cannot decide on it yourself" in page.content
    response = client.post(url(world, "assessment_decide", assessment.code), {"decision": "approved"})
    assert response.status_code == 403
    assert "four eyes" in response.content.decode()
    assert reload(assessment).status == AssessmentStatus.SUBMITTED
    assert reload(request).status == RequestStatus.AWAITING_ASSESSMENT


def test_submit_is_refused_when_no_other_coordinator_can_decide(client, world):
    cast = make_cast(world)  # the police coordinator is the only coordinator
    request = make_request(world, cast, data_categories=["ownership"])
    services.request_submit(actor=world.coordinator, request=request)
    assessment = reload(request).assessment
    client.force_login(world.coordinator)
    response = client.post(
        url(world, "assessment", assessment.code), five_safes_data(then="submit"), follow=True
    )
    assert reload(assessment).status == AssessmentStatus.DRAFT
    assert any("second coordinator" in message for message in messages_of(response))


def test_five_safes_form_asks_a_risk_for_each_answer(client, world, cast):
    assessment = services.assessment_create(
        actor=world.coordinator, partnership=world.partnership_a, title="Camera images to the police"
    )
    client.force_login(world.coordinator)
    response = client.post(
        url(world, "assessment", assessment.code),
        {"answer_people": "Named officers only.", "risk_people": ""},
    )
    assert response.status_code == 422 and "risk_people" in response.context["form"].errors
    assert not assessment.answers.exists()
    response = client.post(
        url(world, "assessment", assessment.code),
        {"answer_people": "Named officers.", "risk_people": "medium"},
    )
    assert response.status_code == 302
    assert assessment.answers.get().risk == "medium"


def test_assessment_pages_for_coordinators_and_the_requester_only(client, world, cast):
    client.force_login(world.member)
    assert client.get(url(world, "assessment_new")).status_code == 200
    response = client.post(url(world, "assessment_new"), {"title": "Shop camera images"})
    assessment = Assessment.objects.get()
    assert response["Location"] == url(world, "assessment", assessment.code)
    mine = client.get(url(world, "assessments")).content.decode()
    assert str(assessment.code) in mine
    client.force_login(cast.dealer)  # another member: not theirs
    assert client.get(url(world, "assessment", assessment.code)).status_code == 403
    assert str(assessment.code) not in client.get(url(world, "assessments")).content.decode()
    client.force_login(cast.coordinator2)
    assert client.get(url(world, "assessment", assessment.code)).status_code == 200
    assert str(assessment.code) in client.get(url(world, "assessments")).content.decode()


def test_questions_follow_the_active_language(client, world, cast):
    assessment = services.assessment_create(
        actor=world.coordinator, partnership=world.partnership_a, title="T"
    )
    client.force_login(world.coordinator)
    english = client.get(url(world, "assessment", assessment.code))
    world.coordinator.language = "nl"
    world.coordinator.save(update_fields=["language"])
    dutch = client.get(url(world, "assessment", assessment.code))
    from safepact.exchange import five_safes

    questions = five_safes.question_set(assessment.question_set)
    people = questions.safe("people")
    assert people.question["en"] in english.content.decode()
    assert people.question["nl"] not in english.content.decode()
    assert people.question["nl"] in dutch.content.decode()


# Access: outsiders 404, viewers 403 -------------------------------------------------------------------


def _pages(world, cast):
    request = sent_request(world, cast, tlp="green")
    draft = make_request(world, cast, title="Draft")
    assessment = services.assessment_create(
        actor=world.coordinator, partnership=world.partnership_a, title="A"
    )
    return request, draft, assessment


def test_outsiders_get_404_on_every_request_and_assessment_page(client, world, cast):
    request, draft, assessment = _pages(world, cast)
    gets = [
        url(world, "requests"),
        url(world, "request_new"),
        url(world, "request", request.code),
        url(world, "request_edit", draft.code),
        url(world, "request_answer", request.code),
        url(world, "request_decline", request.code),
        url(world, "request_label", request.code),
        url(world, "assessments"),
        url(world, "assessment_new"),
        url(world, "assessment", assessment.code),
    ]
    posts = [
        url(world, "request_submit", draft.code),
        url(world, "request_close", request.code),
        url(world, "request_answer", request.code),
        url(world, "request_decline", request.code),
        url(world, "assessment_submit", assessment.code),
        url(world, "assessment_decide", assessment.code),
    ]
    for person in (world.outsider, world.coordinator_b):
        client.force_login(person)
        for address in gets:
            assert client.get(address).status_code == 404, (person, address)
        for address in posts:
            assert (
                client.post(address, {"text": "x", "reason": "x", "decision": "approved"}).status_code == 404
            )
    client.logout()
    assert client.get(url(world, "requests")).status_code == 302  # to the login page
    assert reload(request).status == RequestStatus.SENT and not Answer.objects.exists()


def test_viewers_get_403_on_every_write(client, world, cast):
    request, draft, assessment = _pages(world, cast)
    client.force_login(world.viewer)
    assert client.get(url(world, "requests")).status_code == 200
    assert client.get(url(world, "request", request.code)).status_code == 200
    assert client.get(url(world, "assessments")).status_code == 200
    for address in (
        url(world, "request_new"),
        url(world, "request_edit", draft.code),
        url(world, "request_answer", request.code),
        url(world, "request_decline", request.code),
        url(world, "request_label", request.code),
        url(world, "assessment_new"),
    ):
        assert client.get(address).status_code == 403, address
    for address, data in (
        (url(world, "request_new"), request_data(cast)),
        (url(world, "request_submit", draft.code), {}),
        (url(world, "request_answer", request.code), {"text": "I know!"}),
        (url(world, "request_decline", request.code), {"reason": "No."}),
        (url(world, "request_close", request.code), {}),
        (url(world, "request_label", request.code), {"tlp": "red"}),
        (url(world, "assessment_new"), {"title": "Mine"}),
        (url(world, "assessment_submit", assessment.code), {}),
        (url(world, "assessment_decide", assessment.code), {"decision": "approved"}),
    ):
        assert client.post(address, data).status_code == 403, address
    assert InformationRequest.objects.count() == 2 and Assessment.objects.count() == 1
    assert not Answer.objects.exists() and reload(request).status == RequestStatus.SENT


def test_a_draft_is_hidden_from_the_addressed_organisations(client, world, cast):
    draft = make_request(world, cast)
    client.force_login(world.member)  # the city is addressed, but the draft is not sent
    assert client.get(url(world, "request", draft.code)).status_code == 404
    assert client.post(url(world, "request_submit", draft.code)).status_code == 404


def test_request_page_ids_are_unique_with_every_form_on_it(client, world, cast):
    """A coordinator of an addressed organisation sees the answer, decline and legal-hold forms at once."""
    import re
    from collections import Counter

    request = make_request(world, cast, actor=world.member, partners=[cast.police], tlp="green")
    services.request_submit(actor=world.member, request=request)
    client.force_login(world.coordinator)
    page = client.get(url(world, "request", request.code))
    body = page.content.decode()
    for marker in ('id="answer-form"', 'id="decline-form"', 'id="legal-hold"'):
        assert marker in body
    repeated = [name for name, count in Counter(re.findall(r'\bid="([^"]+)"', body)).items() if count > 1]
    assert repeated == []
    # Every form control has a label.
    for control in re.findall(r'<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"', body):
        if control != "language-select":
            assert f'for="{control}"' in body, control
