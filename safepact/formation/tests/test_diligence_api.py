"""The due-diligence API: the role matrix on every endpoint, then each endpoint's behaviour."""

import json

import pytest

from safepact.audit.models import AuditEvent
from safepact.formation.models import DueDiligenceAssessment
from safepact.formation.services.diligence import (
    assessment_answer,
    assessment_complete,
    assessment_decide,
    assessment_start,
)
from safepact.formation.tests.diligence_fixtures import all_answers, make_diligence

API = "/api/v1"
HIGH = {"misconduct_convictions": "yes"}


@pytest.fixture
def dd(world):
    return make_diligence(world)


def call(client, method, path, body=None):
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json")


def base(world, candidate):
    return (
        f"{API}/partnerships/{candidate.partnership.code}/formation/candidates/{candidate.code}/assessments"
    )


def endpoints(world, dd, assessment):
    b = base(world, dd.candidate)
    a = f"{b}/{assessment.code}"
    return {
        "list": ("get", b, None),
        "start": ("post", b, {}),
        "detail": ("get", a, None),
        "patch": ("patch", a, {"answers": {"reputation_media": {"option": "none"}}}),
        "complete": ("post", f"{a}/complete", None),
        "decide": ("post", f"{a}/decide", {"decision": "admit", "reason": "ok"}),
        "approve": ("post", f"{a}/approve", {}),
    }


ENDPOINTS = ["list", "start", "detail", "patch", "complete", "decide", "approve"]


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize(
    ("persona", "status"), [("outsider", 404), ("coordinator_b", 404), ("viewer", 403), ("member", 403)]
)
def test_role_matrix(world, dd, client_for, name, persona, status):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    method, path, body = endpoints(world, dd, assessment)[name]
    before = AuditEvent.objects.count()
    response = call(client_for(getattr(world, persona)), method, path, body)
    assert response.status_code == status, response.content
    assert response.json()["code"] in ("not_found", "forbidden")
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("name", ENDPOINTS)
def test_anonymous_gets_401(world, dd, client, name):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    method, path, body = endpoints(world, dd, assessment)[name]
    assert call(client, method, path, body).status_code == 401


def test_candidate_of_another_partnership_is_not_found(world, dd, client_for):
    path = f"{API}/partnerships/{world.partnership_a.code}/formation/candidates/{dd.candidate_b.code}/assessments"
    assert client_for(world.coordinator).get(path).status_code == 404


# Behaviour ------------------------------------------------------------------------------------------------


def test_start_answer_complete_decide_approve(world, dd, client_for):
    client = client_for(world.coordinator)
    response = call(client, "post", base(world, dd.candidate))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["state"] == "in_progress" and data["bank_version"] == "1"
    assert data["organisation"]["name"] == "Sofielund Security AB"
    assert data["tier"] is None and data["result"]["complete"] is False
    assert len(data["result"]["missing"]) == 17
    path = f"{base(world, dd.candidate)}/{data['code']}"

    response = call(client, "patch", path, {"answers": all_answers(**HIGH)})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["result"]["complete"] is True
    assert data["result"]["tier"] == "high" and data["result"]["red_flags"] == ["misconduct_convictions"]
    assert data["tier"] is None  # not stored until completed

    response = call(client, "post", f"{path}/complete")
    assert response.status_code == 200
    assert (response.json()["tier"], response.json()["score"], response.json()["state"]) == (
        "high",
        6,
        "completed",
    )

    response = call(
        client,
        "post",
        f"{path}/decide",
        {"decision": "admit", "reason": "Old case.", "reassess_on": "2099-01-01"},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "pending_approval" and data["decided_by"]["name"] == "Cora Coordinator"
    assert data["reassess_on"] == "2099-01-01"

    response = call(client, "post", f"{path}/approve", {})
    assert response.status_code == 403  # the decider
    response = call(client_for(dd.coordinator2), "post", f"{path}/approve", {"reason": "Agreed."})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "admitted" and response.json()["approved_by"]["name"] == "Sam Second"


def test_start_with_prefill_is_a_reassessment(world, dd, client_for):
    first = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    assessment_answer(actor=world.coordinator, assessment=first, answers=all_answers())
    assessment_complete(actor=world.coordinator, assessment=first)
    assessment_decide(actor=world.coordinator, assessment=first, decision="reject", reason="No.")
    response = call(client_for(world.coordinator), "post", base(world, dd.candidate), {"prefill": True})
    assert response.status_code == 201, response.content
    assert response.json()["answers"] == all_answers()


def test_start_twice_is_422(world, dd, client_for):
    assessment_start(actor=world.coordinator, candidate=dd.candidate)
    response = call(client_for(world.coordinator), "post", base(world, dd.candidate), {})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("candidate: ")


@pytest.mark.parametrize(
    ("answers", "where"),
    [
        ({"ownership_structure": {"option": "maybe"}}, "answers.ownership_structure"),
        ({"nonsense": {"option": "yes"}}, "answers.nonsense"),
        (
            {"reputation_media": {"option": "none", "evidence": "x" * 2001}},
            "answers.reputation_media.evidence",
        ),
    ],
)
def test_bad_answers_are_422_naming_the_question(world, dd, client_for, answers, where):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    path = f"{base(world, dd.candidate)}/{assessment.code}"
    response = call(
        client_for(world.coordinator),
        "patch",
        path,
        {"answers": {"financial_accounts": {"option": "healthy"}, **answers}},
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{where}: ")
    assessment.refresh_from_db()
    assert assessment.answers == {}


def test_patch_needs_answers(world, dd, client_for):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    path = f"{base(world, dd.candidate)}/{assessment.code}"
    response = call(client_for(world.coordinator), "patch", path, {"answer": {}})
    assert response.status_code == 422


def test_complete_incomplete_is_422_naming_every_missing_question(world, dd, client_for):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    answers = all_answers()
    del answers["prior_experience"]
    assessment_answer(actor=world.coordinator, assessment=assessment, answers=answers)
    response = call(
        client_for(world.coordinator), "post", f"{base(world, dd.candidate)}/{assessment.code}/complete"
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {"answers.prior_experience": ["This question has no answer yet."]}


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"decision": "admit", "reason": ""}, "reason"),
        ({"decision": "admit"}, "reason"),
        ({"decision": "maybe", "reason": "x"}, "decision"),
        ({"decision": "admit", "reason": "x", "reassess_on": "2001-01-01"}, "reassess_on"),
    ],
)
def test_decide_refuses_bad_input_naming_the_field(world, dd, client_for, body, where):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    assessment_answer(actor=world.coordinator, assessment=assessment, answers=all_answers())
    assessment_complete(actor=world.coordinator, assessment=assessment)
    response = call(
        client_for(world.coordinator), "post", f"{base(world, dd.candidate)}/{assessment.code}/decide", body
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{where}: ")
    assert DueDiligenceAssessment.objects.get().decision == "pending"


def test_list_paginates_in_a_fixed_number_of_queries(world, dd, client_for, django_assert_max_num_queries):
    client = client_for(world.coordinator)
    path = base(world, dd.candidate)

    def add():
        assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
        assessment_answer(actor=world.coordinator, assessment=assessment, answers=all_answers())
        assessment_complete(actor=world.coordinator, assessment=assessment)
        assessment_decide(actor=world.coordinator, assessment=assessment, decision="admit", reason="ok")

    add()
    with django_assert_max_num_queries(8):
        response = client.get(path)
    assert response.json()["count"] == 1
    for _ in range(5):
        add()
    with django_assert_max_num_queries(8):
        response = client.get(f"{path}?limit=3")
    assert response.json()["count"] == 6 and len(response.json()["items"]) == 3


# The question bank -----------------------------------------------------------------------------------------


def test_question_bank_in_english_by_default(world, client_for):
    response = client_for(world.outsider).get(f"{API}/formation/question-bank")
    assert response.status_code == 200
    data = response.json()
    assert data["version"] == "1" and data["language"] == "en"
    assert len(data["topics"]) == 8 and len(data["questions"]) == 17
    question = next(q for q in data["questions"] if q["key"] == "ownership_jurisdictions")
    assert question["evidence_expected"] == ["unknown", "yes"]
    # Keys of the bank, never called "id" (the API exposes no ids): an answer names the option's key.
    assert set(question["options"][0]) == {"key", "text", "points", "red_flag"}
    assert "id" not in question and all("id" not in topic for topic in data["topics"])
    assert data["rules"] == {"high": {"any_red_flag": True, "min_score": 12}, "medium": {"min_score": 5}}
    assert data["rules_text"][0] == "High: any answer marked ⚑ (red flag), or 12 points or more."


def test_question_bank_in_dutch_by_parameter_or_by_the_requesters_language(world, client_for):
    client = client_for(world.coordinator)
    data = client.get(f"{API}/formation/question-bank?lang=nl").json()
    assert data["language"] == "nl"
    assert data["topics"][0]["title"] == "Transparantie van eigendom"
    world.member.language = "nl"
    world.member.save()
    data = client_for(world.member).get(f"{API}/formation/question-bank").json()
    assert data["language"] == "nl"
    data = client_for(world.member).get(f"{API}/formation/question-bank?lang=en").json()
    assert data["topics"][0]["title"] == "Ownership transparency"


@pytest.mark.parametrize(("query", "where"), [("lang=fr", "lang"), ("version=9", "version")])
def test_question_bank_bad_parameters_are_422(world, client_for, query, where):
    response = client_for(world.coordinator).get(f"{API}/formation/question-bank?{query}")
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{where}: ")


def test_question_bank_needs_authentication(client, db):
    assert client.get(f"{API}/formation/question-bank").status_code == 401


@pytest.mark.parametrize(
    ("body", "where"),
    [('{"prefill": "often"}', "prefill"), ('{"surprise": 1}', "surprise"), ("{oops", "body")],
)
def test_start_body_is_optional_but_checked(world, dd, client_for, body, where):
    path = base(world, dd.candidate)
    response = client_for(world.coordinator).post(path, data=body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{where}: ")
    assert not DueDiligenceAssessment.objects.exists()


def test_approve_without_a_body(world, dd, client_for):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    assessment_answer(actor=world.coordinator, assessment=assessment, answers=all_answers(**HIGH))
    assessment_complete(actor=world.coordinator, assessment=assessment)
    assessment_decide(actor=world.coordinator, assessment=assessment, decision="admit", reason="ok")
    response = client_for(dd.coordinator2).post(f"{base(world, dd.candidate)}/{assessment.code}/approve")
    assert response.status_code == 200, response.content


def test_openapi_documents_the_endpoints(world, client_for):
    schema = client_for(world.coordinator).get(f"{API}/openapi.json").json()
    paths = schema["paths"]
    assert "/api/v1/partnerships/{code}/formation/candidates/{candidate_code}/assessments" in paths
    assert "/api/v1/formation/question-bank" in paths
