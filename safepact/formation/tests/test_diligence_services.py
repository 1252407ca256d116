"""Due-diligence services: start, answer, complete, decide, approve (four eyes), reassess; admission states."""

import json
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.formation.models import CandidateMove, CandidateStage, DueDiligenceAssessment
from safepact.formation.question_banks import FOLDER, parse_bank
from safepact.formation.selectors.diligence import candidate_admission, candidate_admissions
from safepact.formation.services import diligence as services
from safepact.formation.services.diligence import (
    assessment_answer,
    assessment_approve,
    assessment_complete,
    assessment_decide,
    assessment_reassess,
    assessment_start,
)
from safepact.formation.tests.diligence_fixtures import NOW, all_answers, make_candidate, make_diligence
from safepact.lib import clock

HIGH = {"misconduct_convictions": "yes"}  # a red flag
MEDIUM = {"ownership_structure": "partly", "ownership_jurisdictions": "unknown"}  # 3 + 2 = 5 points


@pytest.fixture
def dd(world):
    return make_diligence(world)


def actions(assessment):
    return list(
        AuditEvent.objects.filter(target_code=str(assessment.code))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def completed(world, dd, candidate=None, **overrides):
    assessment = assessment_start(actor=world.coordinator, candidate=candidate or dd.candidate)
    assessment = assessment_answer(
        actor=world.coordinator, assessment=assessment, answers=all_answers(**overrides)
    )
    return assessment_complete(actor=world.coordinator, assessment=assessment)


def decided(world, dd, decision="admit", candidate=None, reassess_on=None, **overrides):
    assessment = completed(world, dd, candidate, **overrides)
    return assessment_decide(
        actor=world.coordinator,
        assessment=assessment,
        decision=decision,
        reason="Checked the registers.",
        reassess_on=reassess_on,
    )


# Start ----------------------------------------------------------------------------------------------------


def test_start_uses_the_latest_bank_moves_the_candidate_and_is_audited(world, dd):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    assert assessment.bank_version == "1"
    assert assessment.answers == {}
    assert assessment.assessed_by == world.coordinator
    dd.candidate.refresh_from_db()
    assert dd.candidate.stage == CandidateStage.ASSESSING
    assert CandidateMove.objects.filter(candidate=dd.candidate, to_stage=CandidateStage.ASSESSING).exists()
    assert actions(assessment) == ["formation.due_diligence.started"]
    event = AuditEvent.objects.get(target_code=str(assessment.code))
    assert event.partnership_code == str(world.partnership_a.code)


def test_start_leaves_a_later_stage_alone(world, dd):
    dd.candidate.stage = CandidateStage.INVITED
    dd.candidate.save()
    assessment_start(actor=world.coordinator, candidate=dd.candidate)
    dd.candidate.refresh_from_db()
    assert dd.candidate.stage == CandidateStage.INVITED


def test_start_is_refused_while_an_assessment_is_open(world, dd):
    assessment_start(actor=world.coordinator, candidate=dd.candidate)
    with pytest.raises(ValidationError) as excinfo:
        assessment_start(actor=world.coordinator, candidate=dd.candidate)
    assert "candidate" in excinfo.value.error_dict
    assert DueDiligenceAssessment.objects.filter(candidate=dd.candidate).count() == 1


@pytest.mark.parametrize(
    ("persona", "error"),
    [
        ("member", PermissionDenied),
        ("viewer", PermissionDenied),
        ("outsider", Http404),
        ("coordinator_b", Http404),
    ],
)
def test_only_coordinators_of_the_partnership_start(world, dd, persona, error):
    with pytest.raises(error):
        assessment_start(actor=getattr(world, persona), candidate=dd.candidate)
    assert not DueDiligenceAssessment.objects.exists()


# Answer ---------------------------------------------------------------------------------------------------


def test_partial_saves_keep_earlier_answers(world, dd):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    assessment_answer(
        actor=world.coordinator,
        assessment=assessment,
        answers={"ownership_structure": {"option": "verified", "evidence": "KvK extract 2026-02-01"}},
    )
    assessment = assessment_answer(
        actor=world.coordinator, assessment=assessment, answers={"financial_accounts": {"option": "concerns"}}
    )
    assessment = assessment_answer(
        actor=world.coordinator,
        assessment=assessment,
        answers={"financial_accounts": {"evidence": "Annual accounts 2025"}},
    )
    assessment.refresh_from_db()
    assert assessment.answers == {
        "ownership_structure": {"option": "verified", "evidence": "KvK extract 2026-02-01"},
        "financial_accounts": {"option": "concerns", "evidence": "Annual accounts 2025"},
    }
    assert actions(assessment).count("formation.due_diligence.answered") == 3


def test_an_empty_option_clears_an_answer(world, dd):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    assessment_answer(
        actor=world.coordinator, assessment=assessment, answers={"reputation_media": {"option": "none"}}
    )
    assessment = assessment_answer(
        actor=world.coordinator, assessment=assessment, answers={"reputation_media": {"option": ""}}
    )
    assert assessment.answers == {}


def test_an_unchanged_answer_writes_nothing(world, dd):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    answers = {"reputation_media": {"option": "none"}}
    assessment_answer(actor=world.coordinator, assessment=assessment, answers=answers)
    assessment_answer(actor=world.coordinator, assessment=assessment, answers=answers)
    assert actions(assessment).count("formation.due_diligence.answered") == 1


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"ownership_structure": {"option": "maybe"}}, "answers.ownership_structure"),
        ({"no_such_question": {"option": "yes"}}, "answers.no_such_question"),
        ({"ownership_structure": "verified"}, "answers.ownership_structure"),
        ({"ownership_structure": {"option": "verified", "points": 0}}, "answers.ownership_structure"),
        ({"ownership_structure": {"evidence": "x" * 2001}}, "answers.ownership_structure.evidence"),
        ({"ownership_structure": {"evidence": 12}}, "answers.ownership_structure.evidence"),
    ],
)
def test_bad_answers_are_refused_naming_the_question_and_nothing_is_stored(world, dd, answers, field):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    good = {"financial_accounts": {"option": "healthy"}}
    with pytest.raises(ValidationError) as excinfo:
        assessment_answer(actor=world.coordinator, assessment=assessment, answers={**good, **answers})
    assert field in excinfo.value.error_dict
    assessment.refresh_from_db()
    assert assessment.answers == {}
    assert "formation.due_diligence.answered" not in actions(assessment)


def test_a_member_cannot_answer(world, dd):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    with pytest.raises(PermissionDenied):
        assessment_answer(
            actor=world.member, assessment=assessment, answers={"reputation_media": {"option": "none"}}
        )


# Complete -------------------------------------------------------------------------------------------------


def test_incomplete_assessment_is_refused_naming_the_missing_questions(world, dd):
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    answers = all_answers()
    del answers["financial_accounts"], answers["prior_experience"]
    assessment_answer(actor=world.coordinator, assessment=assessment, answers=answers)
    with pytest.raises(ValidationError) as excinfo:
        assessment_complete(actor=world.coordinator, assessment=assessment)
    assert set(excinfo.value.error_dict) == {"answers.financial_accounts", "answers.prior_experience"}
    assessment.refresh_from_db()
    assert assessment.completed_at is None and assessment.tier == ""
    with pytest.raises(ValidationError):  # and therefore it cannot be decided either
        assessment_decide(actor=world.coordinator, assessment=assessment, decision="admit", reason="fine")


@pytest.mark.parametrize(
    ("overrides", "score", "tier"),
    [
        ({}, 0, "low"),
        (MEDIUM, 5, "medium"),
        (HIGH, 6, "high"),
        ({"misconduct_convictions": "remediated"}, 2, "low"),
    ],
)
def test_complete_stores_score_and_tier(world, dd, overrides, score, tier):
    with clock.frozen(NOW):
        assessment = completed(world, dd, **overrides)
    assessment.refresh_from_db()
    assert (assessment.score, assessment.tier, assessment.completed_at) == (score, tier, NOW)
    event = AuditEvent.objects.get(
        target_code=str(assessment.code), action="formation.due_diligence.completed"
    )
    assert event.after["tier"] == tier and event.after["score"] == score


def test_answers_are_locked_once_completed(world, dd):
    assessment = completed(world, dd)
    with pytest.raises(ValidationError):
        assessment_answer(
            actor=world.coordinator,
            assessment=assessment,
            answers={"reputation_media": {"option": "serious"}},
        )
    with pytest.raises(ValidationError):
        assessment_complete(actor=world.coordinator, assessment=assessment)


# Decide ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_decision_needs_a_reason(world, dd, reason):
    assessment = completed(world, dd)
    with pytest.raises(ValidationError) as excinfo:
        assessment_decide(actor=world.coordinator, assessment=assessment, decision="admit", reason=reason)
    assert "reason" in excinfo.value.error_dict
    assessment.refresh_from_db()
    assert assessment.decision == "pending" and assessment.decided_by is None


def test_decision_must_be_admit_or_reject(world, dd):
    assessment = completed(world, dd)
    with pytest.raises(ValidationError) as excinfo:
        assessment_decide(
            actor=world.coordinator, assessment=assessment, decision="pending", reason="why not"
        )
    assert "decision" in excinfo.value.error_dict


def test_reassessment_date_must_lie_in_the_future(world, dd):
    assessment = completed(world, dd)
    with clock.frozen(NOW), pytest.raises(ValidationError) as excinfo:
        assessment_decide(
            actor=world.coordinator,
            assessment=assessment,
            decision="admit",
            reason="ok",
            reassess_on=date(2026, 3, 2),
        )
    assert "reassess_on" in excinfo.value.error_dict


def test_decide_records_who_when_and_why_once(world, dd):
    with clock.frozen(NOW):
        assessment = decided(world, dd, reassess_on=date(2027, 3, 1))
    assert (assessment.decision, assessment.decided_by, assessment.decided_at) == (
        "admit",
        world.coordinator,
        NOW,
    )
    assert assessment.decision_reason == "Checked the registers."
    event = AuditEvent.objects.get(target_code=str(assessment.code), action="formation.due_diligence.decided")
    assert event.reason == "Checked the registers."
    assert event.after["decision"] == "admit" and event.after["needs_approval"] is False
    with pytest.raises(ValidationError):
        assessment_decide(
            actor=world.coordinator, assessment=assessment, decision="reject", reason="changed my mind"
        )


# Approve: four eyes ---------------------------------------------------------------------------------------


def test_the_decider_cannot_approve_a_high_risk_admission(world, dd):
    assessment = decided(world, dd, **HIGH)
    assert candidate_admission(dd.candidate) == "pending_approval"
    with pytest.raises(PermissionDenied):
        assessment_approve(actor=world.coordinator, assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.approved_by is None
    assert candidate_admission(dd.candidate) == "pending_approval"


def test_the_database_refuses_an_approver_who_decided(world, dd):
    assessment = decided(world, dd, **HIGH)
    with pytest.raises(IntegrityError), transaction.atomic():
        DueDiligenceAssessment.objects.filter(pk=assessment.pk).update(approved_by=world.coordinator)


def test_a_second_coordinator_approves(world, dd):
    assessment = decided(world, dd, **HIGH)
    with clock.frozen(NOW):
        assessment = assessment_approve(actor=dd.coordinator2, assessment=assessment, reason="Seen the file.")
    assert (assessment.approved_by, assessment.approved_at) == (dd.coordinator2, NOW)
    assert candidate_admission(dd.candidate) == "admitted"
    assert actions(assessment)[-1] == "formation.due_diligence.approved"
    assert AuditEvent.objects.get(action="formation.due_diligence.approved").reason == "Seen the file."
    with pytest.raises(ValidationError):  # approved once is enough
        assessment_approve(actor=dd.coordinator2, assessment=assessment)


def test_no_new_assessment_can_overtake_a_pending_high_risk_admission(world, dd):
    assessment = decided(world, dd, **HIGH)
    for start in (services.assessment_reassess, services.assessment_start):
        with pytest.raises(ValidationError, match="second coordinator"):
            start(actor=world.coordinator, candidate=dd.candidate)
    assert DueDiligenceAssessment.objects.filter(candidate=dd.candidate).count() == 1
    assessment_approve(actor=dd.coordinator2, assessment=assessment, reason="Seen the file.")
    services.assessment_reassess(actor=world.coordinator, candidate=dd.candidate)
    assert DueDiligenceAssessment.objects.filter(candidate=dd.candidate).count() == 2


@pytest.mark.parametrize(
    ("persona", "error"), [("member", PermissionDenied), ("viewer", PermissionDenied), ("outsider", Http404)]
)
def test_a_non_coordinator_cannot_approve(world, dd, persona, error):
    assessment = decided(world, dd, **HIGH)
    with pytest.raises(error):
        assessment_approve(actor=getattr(world, persona), assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.approved_by is None


@pytest.mark.parametrize(("decision", "overrides"), [("admit", {}), ("admit", MEDIUM), ("reject", HIGH)])
def test_only_a_pending_high_risk_admission_can_be_approved(world, dd, decision, overrides):
    assessment = decided(world, dd, decision=decision, **overrides)
    with pytest.raises(ValidationError):
        assessment_approve(actor=dd.coordinator2, assessment=assessment)


def test_an_undecided_assessment_cannot_be_approved(world, dd):
    assessment = completed(world, dd, **HIGH)
    with pytest.raises(ValidationError):
        assessment_approve(actor=dd.coordinator2, assessment=assessment)


# Admission states -----------------------------------------------------------------------------------------


def test_admission_states(world, dd):
    assert candidate_admission(dd.candidate) == "none"
    assessment = assessment_start(actor=world.coordinator, candidate=dd.candidate)
    assert candidate_admission(dd.candidate) == "none"
    assessment_answer(actor=world.coordinator, assessment=assessment, answers=all_answers())
    assessment_complete(actor=world.coordinator, assessment=assessment)
    assert candidate_admission(dd.candidate) == "none"  # completed, not decided
    assessment_decide(actor=world.coordinator, assessment=assessment, decision="admit", reason="Low risk.")
    assert candidate_admission(dd.candidate) == "admitted"  # low tier: no approval needed


def test_a_medium_admission_is_effective_at_once(world, dd):
    decided(world, dd, **MEDIUM)
    assert candidate_admission(dd.candidate) == "admitted"


def test_a_rejection(world, dd):
    decided(world, dd, decision="reject", **HIGH)
    assert candidate_admission(dd.candidate) == "rejected"


def test_the_latest_decision_counts(world, dd):
    with clock.frozen(NOW):
        decided(world, dd)
    with clock.frozen(NOW + timedelta(days=1)):
        reassessment = assessment_reassess(actor=world.coordinator, candidate=dd.candidate)
    assert candidate_admission(dd.candidate) == "admitted"  # the reassessment in progress changes nothing yet
    with clock.frozen(NOW + timedelta(days=2)):
        assessment_answer(
            actor=world.coordinator,
            assessment=reassessment,
            answers={"reputation_media": {"option": "organised_crime"}},
        )
        assessment_complete(actor=world.coordinator, assessment=reassessment)
        assessment_decide(
            actor=world.coordinator, assessment=reassessment, decision="reject", reason="New reports."
        )
    assert candidate_admission(dd.candidate) == "rejected"


def test_admissions_of_many_candidates_in_one_query(world, dd, django_assert_num_queries):
    others = [make_candidate(world.partnership_a, world.coordinator, f"Shop {n}") for n in range(4)]
    decided(world, dd)
    decided(world, dd, candidate=others[0], decision="reject")
    decided(world, dd, candidate=others[1], **HIGH)
    with django_assert_num_queries(1):
        states = candidate_admissions([dd.candidate, *others])
    assert states == {
        dd.candidate.pk: "admitted",
        others[0].pk: "rejected",
        others[1].pk: "pending_approval",
        others[2].pk: "none",
        others[3].pk: "none",
    }


# Reassessment ---------------------------------------------------------------------------------------------


def test_reassessment_is_prefilled_from_the_last_assessment(world, dd):
    with clock.frozen(NOW):
        first = decided(world, dd, **MEDIUM)
    with clock.frozen(NOW + timedelta(days=200)):
        second = assessment_reassess(actor=world.coordinator, candidate=dd.candidate)
    assert second.pk != first.pk
    assert second.answers == first.answers
    assert second.completed_at is None and second.decision == "pending" and second.tier == ""
    event = AuditEvent.objects.get(target_code=str(second.code), action="formation.due_diligence.started")
    assert event.after["reassessment_of"] == str(first.code)
    first.refresh_from_db()
    assert first.decision == "admit"  # the earlier assessment keeps its meaning


def test_reassessment_drops_answers_the_new_bank_does_not_know(world, dd, monkeypatch):
    first = decided(world, dd)
    data = json.loads((FOLDER / "due_diligence_v1.json").read_text(encoding="utf-8"))
    data["version"] = "2"
    data["questions"] = [q for q in data["questions"] if q["id"] != "prior_commitments"]
    media = next(q for q in data["questions"] if q["id"] == "reputation_media")
    media["options"] = [o for o in media["options"] if o["id"] != "none"] + [
        {"id": "clean", "text": {"en": "Nothing found", "nl": "Niets gevonden"}, "points": 0}
    ]
    v2 = parse_bank(data, "due_diligence_v2.json")
    monkeypatch.setattr(services, "question_bank", lambda version=None: v2)
    second = assessment_reassess(actor=world.coordinator, candidate=dd.candidate)
    assert second.bank_version == "2"
    assert "prior_commitments" not in second.answers
    assert second.answers["reputation_media"] == {
        "option": "",
        "evidence": "note",
    }  # evidence kept, option dropped
    assert second.answers["financial_accounts"] == first.answers["financial_accounts"]


def test_reassessment_needs_an_earlier_assessment_and_no_open_one(world, dd):
    with pytest.raises(ValidationError):
        assessment_reassess(actor=world.coordinator, candidate=dd.candidate)
    assessment_start(actor=world.coordinator, candidate=dd.candidate)
    with pytest.raises(ValidationError):
        assessment_reassess(actor=world.coordinator, candidate=dd.candidate)


def test_every_step_is_audited(world, dd):
    assessment = decided(world, dd, **HIGH)
    assessment_approve(actor=dd.coordinator2, assessment=assessment)
    assert actions(assessment) == [
        "formation.due_diligence.started",
        "formation.due_diligence.answered",
        "formation.due_diligence.completed",
        "formation.due_diligence.decided",
        "formation.due_diligence.approved",
    ]
