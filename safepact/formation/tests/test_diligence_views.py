"""The due-diligence page and its forms: access on every view, the questionnaire, result, decision, approval."""

from datetime import timedelta

import pytest
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.formation.models import DueDiligenceAssessment
from safepact.formation.services.diligence import (
    assessment_answer,
    assessment_complete,
    assessment_decide,
    assessment_reassess,
    assessment_start,
)
from safepact.formation.tests.diligence_fixtures import NOW, all_answers, make_diligence
from safepact.lib import clock

HIGH = {"misconduct_convictions": "yes"}


@pytest.fixture
def dd(world):
    return make_diligence(world)


def page_url(world, candidate):
    return reverse(
        "formation:diligence", kwargs={"code": candidate.partnership.code, "candidate_code": candidate.code}
    )


def url(name, candidate, assessment=None):
    kwargs = {"code": candidate.partnership.code, "candidate_code": candidate.code}
    if assessment is not None:
        kwargs["assessment_code"] = assessment.code
    return reverse(f"formation:{name}", kwargs=kwargs)


def form_data(answers: dict, action="save") -> dict:
    data = {"action": action}
    for question_id, entry in answers.items():
        data[f"q_{question_id}"] = entry.get("option", "")
        data[f"e_{question_id}"] = entry.get("evidence", "")
    return data


def completed(world, dd, **overrides):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    assessment_answer(actor=world.coordinator, assessment=assessment, answers=all_answers(**overrides))
    return assessment_complete(actor=world.coordinator, assessment=assessment)


def decided(world, dd, decision="admit", **overrides):
    assessment = completed(world, dd, **overrides)
    return assessment_decide(
        actor=world.coordinator, assessment=assessment, decision=decision, reason="Checked."
    )


# Access on every view -------------------------------------------------------------------------------------


def views(world, dd, assessment):
    c = dd.candidate
    return {
        "page": ("get", url("diligence", c), {}),
        "assessment": ("get", url("diligence_assessment", c, assessment), {}),
        "start": ("post", url("diligence_start", c), {}),
        "answer": ("post", url("diligence_answer", c, assessment), form_data(all_answers())),
        "decide": ("post", url("diligence_decide", c, assessment), {"decision": "admit", "reason": "ok"}),
        "approve": ("post", url("diligence_approve", c, assessment), {"reason": ""}),
    }


VIEWS = ["page", "assessment", "start", "answer", "decide", "approve"]


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize(
    ("persona", "status"), [("outsider", 404), ("coordinator_b", 404), ("viewer", 403), ("member", 403)]
)
def test_only_coordinators_of_the_partnership_reach_due_diligence(
    world, dd, client_for, view, persona, status
):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    method, path, data = views(world, dd, assessment)[view]
    before = AuditEvent.objects.count()
    response = getattr(client_for(getattr(world, persona)), method)(path, data)
    assert response.status_code == status
    assert AuditEvent.objects.count() == before
    assert DueDiligenceAssessment.objects.count() == 1


@pytest.mark.parametrize("view", VIEWS)
def test_anonymous_is_sent_to_login(world, dd, client, view):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    method, path, data = views(world, dd, assessment)[view]
    response = getattr(client, method)(path, data)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_a_candidate_of_another_partnership_is_not_found(world, dd, client_for):
    path = reverse(
        "formation:diligence",
        kwargs={"code": world.partnership_a.code, "candidate_code": dd.candidate_b.code},
    )
    assert client_for(world.coordinator).get(path).status_code == 404


def test_an_assessment_of_another_candidate_is_not_found(world, dd, client_for):
    other = assessment_start(actor=world.coordinator_b, candidate=dd.candidate_b)
    path = url("diligence_assessment", dd.candidate, other)
    assert client_for(world.coordinator).get(path).status_code == 404


@pytest.mark.parametrize("view", ["start", "answer", "decide", "approve"])
def test_writes_need_post(world, dd, client_for, view):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    _method, path, _data = views(world, dd, assessment)[view]
    assert client_for(world.coordinator).get(path).status_code == 405


# The page -------------------------------------------------------------------------------------------------


def test_empty_page_shows_the_rules_and_a_start_button(world, dd, client_for):
    response = client_for(world.coordinator).get(page_url(world, dd.candidate))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Due diligence of Sofielund Security AB" in body
    assert "High: any answer marked ⚑ (red flag), or 12 points or more." in body
    assert "Medium: 5 points or more." in body
    assert "Low: anything else." in body
    assert url("diligence_start", dd.candidate) in body
    assert 'data-admission="none"' in body


def test_start_then_answer_then_complete(world, dd, client_for):
    client = client_for(world.coordinator)
    response = client.post(url("diligence_start", dd.candidate))
    assert response.status_code == 302
    assessment = DueDiligenceAssessment.objects.get(candidate=dd.candidate)

    body = client.get(page_url(world, dd.candidate)).content.decode()
    assert 'type="radio"' in body and 'name="q_ownership_structure"' in body
    assert '<label for="id_e_ownership_structure">' in body
    assert "Ownership transparency" in body and "Links to public officials" in body
    assert "(5 points, ⚑ red flag)" in body

    partial = {"ownership_structure": {"option": "verified", "evidence": "UBO extract 2026-02-01"}}
    response = client.post(url("diligence_answer", dd.candidate, assessment), form_data(partial))
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.answers == partial

    # completing with questions left open: refused, the open questions named, the answers given are kept
    partial["financial_accounts"] = {"option": "healthy", "evidence": ""}
    response = client.post(url("diligence_answer", dd.candidate, assessment), form_data(partial, "complete"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "This question has no answer yet." in body
    assert 'href="#id_q_reputation_media"' in body
    assessment.refresh_from_db()
    assert assessment.completed_at is None
    assert assessment.answers["financial_accounts"]["option"] == "healthy"

    response = client.post(
        url("diligence_answer", dd.candidate, assessment), form_data(all_answers(**HIGH), "complete")
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert (assessment.tier, assessment.score) == ("high", 6)
    body = client.get(response.url).content.decode()
    assert 'data-tier="high"' in body
    assert "Risk tier: <strong>High</strong>, with 6 points." in body
    assert "<caption>Risk points per topic</caption>" in body
    assert '<th scope="row">Past misconduct or litigation</th>' in body
    assert "⚑ Has the organisation, or one of its directors, been convicted" in body
    assert 'name="q_ownership_structure"' not in body  # no more questionnaire


def test_a_bad_option_id_is_refused_naming_the_question(world, dd, client_for):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    data = form_data({"ownership_structure": {"option": "maybe"}, "reputation_media": {"option": "none"}})
    response = client_for(world.coordinator).post(url("diligence_answer", dd.candidate, assessment), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'href="#id_q_ownership_structure"' in body
    assert "Select a valid choice" in body
    assessment.refresh_from_db()
    assert assessment.answers == {}


def test_decision_needs_reasons_and_is_shown(world, dd, client_for):
    assessment = completed(world, dd)
    client = client_for(world.coordinator)
    body = client.get(page_url(world, dd.candidate)).content.decode()
    assert url("diligence_decide", dd.candidate, assessment) in body
    response = client.post(
        url("diligence_decide", dd.candidate, assessment), {"decision": "admit", "reason": ""}
    )
    assert response.status_code == 200
    assert 'href="#id_reason"' in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.decision == "pending"
    with clock.frozen(NOW):
        response = client.post(
            url("diligence_decide", dd.candidate, assessment),
            {"decision": "admit", "reason": "Clean record.", "reassess_on": "2027-03-01"},
        )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.decision == "admit" and str(assessment.reassess_on) == "2027-03-01"
    body = client.get(page_url(world, dd.candidate)).content.decode()
    assert "Clean record." in body and 'data-admission="admitted"' in body


def test_reassessment_date_in_the_past_is_refused_on_the_field(world, dd, client_for):
    assessment = completed(world, dd)
    with clock.frozen(NOW):
        response = client_for(world.coordinator).post(
            url("diligence_decide", dd.candidate, assessment),
            {"decision": "reject", "reason": "No.", "reassess_on": "2026-01-01"},
        )
    assert response.status_code == 200
    assert 'href="#id_reassess_on"' in response.content.decode()


def test_four_eyes_on_the_page(world, dd, client_for):
    assessment = decided(world, dd, **HIGH)
    approve = url("diligence_approve", dd.candidate, assessment)

    client = client_for(world.coordinator)
    body = client.get(page_url(world, dd.candidate)).content.decode()
    assert "awaits a second coordinator" in body
    assert approve not in body  # the decider gets no approve button
    assert "You took this decision, so another coordinator must approve it." in body
    assert client.post(approve, {"reason": ""}).status_code == 403
    assessment.refresh_from_db()
    assert assessment.approved_by is None

    client = client_for(dd.coordinator2)
    body = client.get(page_url(world, dd.candidate)).content.decode()
    assert approve in body
    response = client.post(approve, {"reason": "I agree."})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.approved_by == dd.coordinator2
    assert 'data-admission="admitted"' in client.get(page_url(world, dd.candidate)).content.decode()


def test_approving_a_low_risk_admission_is_refused_with_a_message(world, dd, client_for):
    assessment = decided(world, dd)
    response = client_for(dd.coordinator2).post(url("diligence_approve", dd.candidate, assessment), {})
    assert response.status_code == 200
    assert "Only a high-risk admission that awaits approval can be approved." in response.content.decode()


def test_reassessment_and_history(world, dd, client_for):
    with clock.frozen(NOW):
        first = decided(world, dd, ownership_structure="partly")
    client = client_for(world.coordinator)
    body = client.get(page_url(world, dd.candidate)).content.decode()
    assert 'name="prefill" value="1"' in body
    with clock.frozen(NOW + timedelta(days=365)):
        response = client.post(url("diligence_start", dd.candidate), {"prefill": "1"})
    assert response.status_code == 302
    second = DueDiligenceAssessment.objects.exclude(pk=first.pk).get()
    assert second.answers == first.answers
    body = client.get(page_url(world, dd.candidate)).content.decode()
    assert f'data-assessment="{second.code}"' in body
    assert "<caption>Assessments of this candidate, newest first</caption>" in body
    assert url("diligence_assessment", dd.candidate, first) in body
    # the pre-filled answer is checked in the questionnaire
    assert 'value="partly" id="id_q_ownership_structure_2" checked' in body
    earlier = client.get(url("diligence_assessment", dd.candidate, first)).content.decode()
    assert "(an earlier assessment)" in earlier and "Checked." in earlier


def test_starting_twice_is_refused_with_a_message(world, dd, client_for):
    assessment_start(actor=world.coordinator, candidate=dd.candidate)
    client = client_for(world.coordinator)
    response = client.post(url("diligence_start", dd.candidate), follow=True)
    assert "is still open" in response.content.decode()
    assert DueDiligenceAssessment.objects.count() == 1


def test_page_query_count_does_not_grow_with_history(world, dd, client_for, django_assert_max_num_queries):
    client = client_for(world.coordinator)
    decided(world, dd)
    with django_assert_max_num_queries(10):
        assert client.get(page_url(world, dd.candidate)).status_code == 200
    for day in range(1, 6):
        with clock.frozen(NOW + timedelta(days=day)):
            assessment = assessment_reassess(actor=world.coordinator, candidate=dd.candidate)
            assessment_complete(actor=world.coordinator, assessment=assessment)
            assessment_decide(
                actor=world.coordinator, assessment=assessment, decision="admit", reason="Again."
            )
    assessment_reassess(actor=world.coordinator, candidate=dd.candidate)
    with django_assert_max_num_queries(10):
        response = client.get(page_url(world, dd.candidate))
    assert response.status_code == 200
    assert len(response.context["history"]) == 7
