"""Exchange API for information requests and Five Safes assessments: a police system sends a request with
its token, the Five Safes gate holds it until another coordinator approves (four eyes), the addressed
organisation answers through the API; every refusal has its code (409 for the wrong state, 403 for the
wrong person, 422 naming the field, 404 for what one may not see); the list costs the same for few and many
requests."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safepact.accounts.services import api_token_create
from safepact.audit.models import AuditEvent
from safepact.exchange import services
from safepact.exchange.models import AccessLog, Answer, Assessment, InformationRequest
from safepact.exchange.tests.factories import add_person, media_root  # noqa: F401 - fixture
from safepact.exchange.tests.test_api_access import SAFES, answer_all, base, call, make_request, partner_of
from safepact.lib import clock


@pytest.fixture(autouse=True)
def _media(media_root):  # noqa: F811 - the fixture imported above
    return media_root


def bearer(user) -> dict:
    _token, secret = api_token_create(user=user, name="Police case system")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def engine_request(world, **overrides) -> dict:
    body = {
        "title": "Recovered stolen engine",
        "question": "Who bought the Yamaha outboard engine with serial 6AH-1034567?",
        "purpose": "Return the engine to its owner and trace the thief.",
        "legal_basis": "public_task",
        "national_provision": "Polisdatalagen 2:7",
        "data_categories": ["identification", "ownership"],
        "deadline": (clock.today() + timedelta(days=14)).isoformat(),
        "tlp": "amber",
        "recipient_partners": [str(partner_of(world, world.member).code)],
    }
    body.update(overrides)
    return body


@pytest.fixture
def second_coordinator(world):
    return add_person(
        world, "lena.lind@malmo-stad.example", role="coordinator", organisation=world.org_city_a
    )


def test_a_police_system_sends_a_request_through_the_five_safes_gate_and_gets_an_answer(
    client, world, second_coordinator
):
    x = base(world)
    police = bearer(world.coordinator)

    # The police system drafts the request with its token and submits it.
    response = call(client, "post", f"{x}/requests", engine_request(world), **police)
    assert response.status_code == 201, response.content
    draft = response.json()
    assert draft["status"] == "draft" and draft["via_api"] is True and draft["asks_personal_data"] is True
    assert draft["requester"]["organisation"]["code"] == str(world.org_police_a.code)
    assert [r["organisation"]["code"] for r in draft["recipients"]] == [str(world.org_city_a.code)]
    assert InformationRequest.objects.get(code=draft["code"]).via_api is True
    url = f"{x}/requests/{draft['code']}"
    # Not sent yet: the addressed city does not see it.
    assert call(client, "get", url, **bearer(world.member)).status_code == 404

    response = call(client, "post", f"{url}/submit", **police)
    assert response.status_code == 200, response.content
    waiting = response.json()
    assert waiting["status"] == "awaiting_assessment" and waiting["assessment"]["status"] == "draft"
    assessment_url = f"{x}/assessments/{waiting['assessment']['code']}"

    # The Five Safes: the questions in the caller's language, one answer per safe, then submit.
    questions = call(client, "get", f"{x}/five-safes/questions", **police).json()
    assert [q["safe"] for q in questions["questions"]] == list(SAFES)
    dutch = call(client, "get", f"{x}/five-safes/questions?lang=nl", **police).json()
    assert dutch["language"] == "nl" and dutch["questions"][0]["title"] != questions["questions"][0]["title"]
    response = call(client, "post", f"{assessment_url}/submit", **police)
    assert response.status_code == 422 and response.json()["detail"].startswith("answers")
    for safe in SAFES:
        response = call(
            client,
            "put",
            f"{assessment_url}/answers/{safe}",
            {"answer": f"Named officers only ({safe}).", "risk": "low", "mitigations": "Logged access."},
            **police,
        )
        assert response.status_code == 200, response.content
    assert [a["safe"] for a in response.json()["answers"]] == list(SAFES)
    assert call(client, "post", f"{assessment_url}/submit", **police).json()["status"] == "submitted"

    # Four eyes: the coordinator who asked may not decide; another coordinator approves.
    response = call(client, "post", f"{assessment_url}/decision", {"decision": "approved"}, **police)
    assert response.status_code == 403 and "four eyes" in response.json()["detail"]
    response = call(
        client,
        "post",
        f"{assessment_url}/decision",
        {"decision": "approved_with_conditions", "conditions": "Delete the data when the case closes."},
        **bearer(second_coordinator),
    )
    assert response.status_code == 200, response.content
    decided = response.json()
    assert decided["status"] == "approved_with_conditions" and decided["request"] == draft["code"]
    assert decided["decided_by"]["code"] == str(second_coordinator.code) and decided["valid_until"]
    sent = call(client, "get", url, **police).json()
    assert sent["status"] == "sent" and sent["sent_at"]

    # The addressed city answers through the API; the police reads the answer, the shop sees nothing.
    city = bearer(world.member)
    received = call(client, "get", f"{x}/requests?box=received", **city).json()
    assert [r["code"] for r in received["items"]] == [draft["code"]]
    response = call(
        client, "post", f"{url}/answers", {"text": "Sold on 3 May to Lund Marin AB (invoice 2231)."}, **city
    )
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["tlp"] == "amber" and answer["organisation"]["code"] == str(world.org_city_a.code)
    assert answer["declined"] is False
    detail = call(client, "get", url, **police).json()
    assert detail["status"] == "answered"
    assert [a["text"] for a in detail["answers"]] == ["Sold on 3 May to Lund Marin AB (invoice 2231)."]
    assert [r["status"] for r in detail["recipients"]] == ["answered"]
    assert AccessLog.objects.filter(
        item_kind="answer", item_code=answer["code"], user=world.coordinator
    ).exists()
    viewer = bearer(world.viewer)
    assert call(client, "get", url, **viewer).status_code == 404
    assert call(client, "get", f"{x}/requests", **viewer).json()["count"] == 0

    # Answering twice is a conflict; the police closes it; nobody answers a closed request.
    response = call(client, "post", f"{url}/answers", {"text": "Again."}, **city)
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert call(client, "post", f"{url}/close", **city).status_code == 403
    assert call(client, "post", f"{url}/close", **police).json()["status"] == "closed"
    response = call(client, "post", f"{url}/decline", {"reason": "Too late."}, **city)
    assert response.status_code == 409
    assert call(client, "post", f"{url}/close", **police).status_code == 409
    assert Answer.objects.filter(request__code=draft["code"]).count() == 1


def test_a_rejected_assessment_returns_the_request_to_its_author_with_the_note(
    client_for, world, second_coordinator
):
    request = make_request(
        world,
        world.coordinator,
        to=[partner_of(world, world.member)],
        data_categories=["identification"],
        submit=True,
    )
    assessment = answer_all(world.coordinator, request.assessment)
    services.assessment_submit(actor=world.coordinator, assessment=assessment)
    url = f"{base(world)}/assessments/{assessment.code}/decision"
    client = client_for(second_coordinator)
    response = call(client, "post", url, {"decision": "rejected"})
    assert response.status_code == 422 and response.json()["detail"].startswith("note")
    response = call(client, "post", url, {"decision": "approved_with_conditions"})
    assert response.status_code == 422 and response.json()["detail"].startswith("conditions")
    response = call(client, "post", url, {"decision": "maybe"})
    assert response.status_code == 422 and response.json()["detail"].startswith("decision")
    response = call(client, "post", url, {"decision": "rejected", "note": "Ask for the invoice only."})
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    detail = client_for(world.coordinator).get(f"{base(world)}/requests/{request.code}").json()
    assert detail["status"] == "draft"
    assert detail["assessment"]["decision_note"] == "Ask for the invoice only."
    # Decided already: deciding again, answering or submitting the assessment again is a conflict.
    client = client_for(second_coordinator)
    assert call(client, "post", url, {"decision": "approved"}).status_code == 409
    response = call(
        client,
        "put",
        f"{base(world)}/assessments/{assessment.code}/answers/data",
        {"answer": "x", "risk": "low"},
    )
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert call(client, "post", f"{base(world)}/assessments/{assessment.code}/submit").status_code == 409


def test_a_draft_assessment_cannot_be_decided(client_for, world, second_coordinator):
    assessment = services.assessment_create(
        actor=world.member, partnership=world.partnership_a, title="Flow check"
    )
    client = client_for(second_coordinator)
    response = call(
        client, "post", f"{base(world)}/assessments/{assessment.code}/decision", {"decision": "approved"}
    )
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert Assessment.objects.get(pk=assessment.pk).status == "draft"


def test_request_input_errors_name_the_field_and_store_nothing(client_for, world):
    client = client_for(world.coordinator)
    own = str(partner_of(world, world.coordinator).code)
    theirs = str(partner_of(world, world.coordinator_b, world.partnership_b).code)
    cases = [
        ({"deadline": (clock.today() - timedelta(days=1)).isoformat()}, "deadline"),
        ({"legal_basis": "because"}, "legal_basis"),
        ({"data_categories": ["shoe_size"]}, "data_categories"),
        ({"recipient_partners": [own]}, "recipient_partners"),
        ({"recipient_partners": [theirs]}, "recipient_partners"),
        ({"recipient_partners": []}, "recipient_partners"),
        ({"tlp": "red"}, "recipient_people"),
        ({"title": ""}, "title"),
        ({"via_api": False}, "via_api"),
    ]
    before = (InformationRequest.objects.count(), AuditEvent.objects.count())
    for fields, field in cases:
        response = call(client, "post", f"{base(world)}/requests", engine_request(world, **fields))
        assert response.status_code == 422, (fields, response.content)
        assert response.json()["detail"].startswith(field), (fields, response.json()["detail"])
    assert (InformationRequest.objects.count(), AuditEvent.objects.count()) == before


def test_only_the_requester_changes_a_draft_and_a_sent_request_is_frozen(client_for, world):
    city = partner_of(world, world.member)
    draft = make_request(world, world.coordinator, to=[city], title="Scooter thefts")
    url = f"{base(world)}/requests/{draft.code}"
    response = call(
        client_for(world.coordinator), "patch", url, {"title": "Scooter thefts in May", "tlp": "green"}
    )
    assert response.status_code == 422 and response.json()["detail"].startswith("tlp")  # the label: /label
    response = call(client_for(world.coordinator), "patch", url, {"title": "Scooter thefts in May"})
    assert response.status_code == 200 and response.json()["title"] == "Scooter thefts in May"
    response = call(client_for(world.coordinator), "patch", url, {"deadline": None})
    assert response.status_code == 422 and response.json()["detail"].startswith("deadline")
    assert call(client_for(world.coordinator), "post", f"{url}/submit").json()["status"] == "sent"
    response = call(client_for(world.coordinator), "patch", url, {"title": "Too late"})
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert call(client_for(world.coordinator), "post", f"{url}/submit").status_code == 409
    # The city member sees the sent request but did not ask it: 403 on changes, never 404.
    response = call(client_for(world.member), "patch", url, {"title": "Mine"})
    assert response.status_code == 403
    assert InformationRequest.objects.get(pk=draft.pk).title == "Scooter thefts in May"


def test_when_every_addressed_organisation_declines_the_request_is_declined(client_for, world):
    shop_owner = add_person(world, "owner@shop.example", role="member", organisation=world.org_shop_a)
    request = make_request(
        world,
        world.coordinator,
        to=[partner_of(world, world.member), partner_of(world, world.viewer)],
        submit=True,
    )
    url = f"{base(world)}/requests/{request.code}/decline"
    response = call(client_for(world.member), "post", url, {"reason": ""})
    assert response.status_code == 422 and response.json()["detail"].startswith("reason")
    assert call(client_for(world.member), "post", url, {"reason": "No records."}).status_code == 201
    assert InformationRequest.objects.get(pk=request.pk).status == "sent"
    assert call(client_for(world.viewer), "post", url, {"reason": "No."}).status_code == 403  # read-only
    response = call(client_for(shop_owner), "post", url, {"reason": "We never sold engines."})
    assert response.status_code == 201 and response.json()["declined"] is True
    assert InformationRequest.objects.get(pk=request.pk).status == "declined"


def test_lists_filter_by_box_and_status(client_for, world):
    city, police = partner_of(world, world.member), partner_of(world, world.coordinator)
    make_request(world, world.coordinator, to=[city], submit=True, title="To the city")
    make_request(world, world.member, to=[police], submit=True, title="To the police")
    make_request(world, world.member, to=[police], title="City draft")
    client = client_for(world.member)
    x = base(world)

    def titles(query):
        return sorted(r["title"] for r in client.get(f"{x}/requests", query).json()["items"])

    assert titles({}) == ["City draft", "To the city", "To the police"]
    assert titles({"box": "received"}) == ["To the city"]
    assert titles({"box": "sent"}) == ["City draft", "To the police"]
    assert titles({"box": "mine", "status": "draft"}) == ["City draft"]
    assert client.get(f"{x}/requests", {"box": "everything"}).status_code == 422
    assert client.get(f"{x}/requests", {"status": "lost"}).status_code == 422
    # The police coordinator sees the city's draft (coordinators do); the shop's viewer does not.
    viewer = sorted(r["title"] for r in client_for(world.viewer).get(f"{x}/requests").json()["items"])
    assert viewer == ["To the city", "To the police"]


def test_assessments_are_read_by_coordinators_and_whoever_asked(client_for, world):
    mine = services.assessment_create(
        actor=world.member, partnership=world.partnership_a, title="City cameras"
    )
    other = services.assessment_create(
        actor=world.coordinator, partnership=world.partnership_a, title="Patrols"
    )
    x = base(world)
    listed = client_for(world.member).get(f"{x}/assessments").json()
    assert [a["code"] for a in listed["items"]] == [str(mine.code)]
    assert client_for(world.member).get(f"{x}/assessments/{other.code}").status_code == 403
    coordinator = client_for(world.coordinator)
    assert {a["code"] for a in coordinator.get(f"{x}/assessments").json()["items"]} == {
        str(mine.code),
        str(other.code),
    }
    detail = coordinator.get(f"{x}/assessments/{mine.code}").json()
    assert detail["requested_by"]["code"] == str(world.member.code) and detail["request"] is None
    response = call(
        coordinator, "put", f"{x}/assessments/{mine.code}/answers/colour", {"answer": "x", "risk": "low"}
    )
    assert response.status_code == 422
    response = call(
        coordinator, "put", f"{x}/assessments/{mine.code}/answers/data", {"answer": "x", "risk": "huge"}
    )
    assert response.status_code == 422 and response.json()["detail"].startswith("risk")


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, {"limit": "100"})
    assert response.status_code == 200
    return len(context.captured_queries)


def test_the_request_list_costs_the_same_for_few_and_many(client_for, world):
    city, police = partner_of(world, world.member), partner_of(world, world.coordinator)
    shop = partner_of(world, world.viewer)

    def requests(n, start=0):
        for i in range(start, start + n):
            label = ("green", "amber")[i % 2]
            request = make_request(
                world, world.coordinator, to=[city, shop], submit=True, title=f"Request {i}", tlp=label
            )
            if i % 3 == 0:
                services.request_answer(actor=world.member, request=request, text="Answer.")
        make_request(world, world.member, to=[police], title=f"Draft {start}")

    client = client_for(world.member)
    requests(2)
    few = _queries(client, f"{base(world)}/requests")
    requests(10, start=2)
    assert client.get(f"{base(world)}/requests").json()["count"] == 14
    assert _queries(client, f"{base(world)}/requests") == few


def test_an_addressed_organisation_does_not_learn_through_the_api_whether_another_answered(client, world):
    """The API follows the page: where another addressed organisation stands (its answer's existence and
    time) is for the asking organisation and the coordinators only."""
    from safepact.exchange.tests.request_factories import make_cast, sent_request

    cast = make_cast(world)
    request = sent_request(world, cast)  # TLP:AMBER to the city and the dealer's shop
    services.request_answer(actor=world.member, request=request, text="The city knows the owner.")
    url = f"{base(world)}/requests/{request.code}"

    def statuses(user):
        body = call(client, "get", url, **bearer(user)).json()
        return {
            r["organisation"]["name"]: (r["status"], r["responded_at"] is not None)
            for r in body["recipients"]
        }

    shop, city = world.org_shop_a.name, world.org_city_a.name
    assert statuses(cast.dealer) == {city: (None, False), shop: ("pending", False)}
    assert statuses(world.member) == {city: ("answered", True), shop: (None, False)}
    assert statuses(world.coordinator) == {city: ("answered", True), shop: ("pending", False)}
    listed = call(client, "get", f"{base(world)}/requests", **bearer(cast.dealer)).json()["items"]
    assert {r["organisation"]["name"]: r["status"] for r in listed[0]["recipients"]} == {
        city: None,
        shop: "pending",
    }
