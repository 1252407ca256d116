"""Writes for the due diligence of candidates (coordinators only).

start → answer (partial saves) → complete (score and tier stored; refused while a question is unanswered)
→ decide (admit or reject, with reasons and an optional reassessment date) → approve (a high-risk admission
needs a SECOND coordinator; the database refuses an approver who is the decider as well). A reassessment is
a new assessment pre-filled from the last one. Every step is audited as ``formation.due_diligence.<verb>``.
"""

from collections.abc import Mapping
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.audit.models import AuditEvent
from safepact.audit.services import audit_record
from safepact.formation.models import (
    Candidate,
    CandidateStage,
    DueDiligenceAssessment,
    DueDiligenceDecision,
)
from safepact.formation.question_banks import (
    answer_errors,
    chosen_option,
    evaluate,
    evidence_of,
    question_bank,
)
from safepact.formation.selectors import diligence as selectors
from safepact.lib import clock
from safepact.partnerships.selectors import get_partnership_for_user

EVIDENCE_MAX = 2000
REASON_MAX = 2000
REMINDER_ACTION = "formation.due_diligence.reminder_sent"
ANSWER_KEYS = {"option", "evidence"}


def register() -> None:
    from safepact.audit.selectors import register_action_labels
    from safepact.partnerships import hooks

    register_action_labels(
        {
            "formation.due_diligence.started": gettext_lazy("Due diligence started"),
            "formation.due_diligence.answered": gettext_lazy("Due-diligence answers saved"),
            "formation.due_diligence.completed": gettext_lazy("Due diligence completed"),
            "formation.due_diligence.decided": gettext_lazy("Due-diligence decision taken"),
            "formation.due_diligence.approved": gettext_lazy("High-risk admission approved"),
            REMINDER_ACTION: gettext_lazy("Reassessment reminder sent"),
        },
        {"formation.due_diligence": gettext_lazy("Due diligence")},
    )
    hooks.register_attention(selectors.reassessments_due)


def _manage(actor, candidate: Candidate):
    """Coordinators of the candidate's partnership only (404 outsider, 403 others)."""
    return get_partnership_for_user(actor, candidate.partnership.code, manage=True)


def _locked(assessment: DueDiligenceAssessment) -> DueDiligenceAssessment:
    """The assessment re-read under a row lock, so two coordinators never act on a stale state."""
    return (
        DueDiligenceAssessment.objects.select_for_update(of=("self",))
        .select_related("candidate__organisation", "candidate__partnership")
        .get(pk=assessment.pk)
    )


def _snapshot(answers: Mapping) -> dict:
    return {qid: chosen_option(answers, qid) or None for qid in answers}


def _move_to_assessing(*, actor, candidate: Candidate) -> None:
    if candidate.stage != CandidateStage.IDENTIFIED:
        return
    from safepact.formation.services.pipeline import candidate_move

    candidate_move(
        actor=actor,
        candidate=candidate,
        to_stage=CandidateStage.ASSESSING,
        reason=_("Due diligence started."),
    )


def _refuse_if_open(candidate: Candidate) -> None:
    # Four eyes: a high-risk admission awaiting a second coordinator cannot be overtaken by a new
    # assessment that the same coordinator could decide alone.
    if selectors.candidate_admission(candidate) == "pending_approval":
        raise ValidationError(
            {
                "candidate": _(
                    "A high-risk admission of %(organisation)s awaits a second coordinator's approval: "
                    "it must be approved before a new assessment can start."
                )
                % {"organisation": candidate.organisation.name}
            }
        )
    if selectors.open_assessment(candidate) is not None:
        raise ValidationError(
            {
                "candidate": _(
                    "An assessment of %(organisation)s is still open: complete and decide it first."
                )
                % {"organisation": candidate.organisation.name}
            }
        )


def _create(*, actor, candidate: Candidate, answers: dict, previous=None) -> DueDiligenceAssessment:
    bank = question_bank()
    assessment = DueDiligenceAssessment.objects.create(
        candidate=candidate,
        bank_version=bank.version,
        answers=answers,
        assessed_by=actor,
        created_at=clock.now(),
    )
    after = {"bank_version": bank.version, "answered": len(answers)}
    if previous is not None:
        after["reassessment_of"] = str(previous.code)
    audit_record(
        actor=actor,
        action="formation.due_diligence.started",
        target=assessment,
        partnership=candidate.partnership,
        after=after,
    )
    _move_to_assessing(actor=actor, candidate=candidate)
    return assessment


@transaction.atomic
def assessment_start(*, actor, candidate: Candidate) -> DueDiligenceAssessment:
    """Start an empty assessment of ``candidate`` with the latest question bank (coordinators).

    A candidate at stage "identified" moves to "assessing". Refused while another assessment is open.
    """
    _manage(actor, candidate)
    candidate = (
        Candidate.objects.select_for_update(of=("self",))
        .select_related("organisation", "partnership")
        .get(pk=candidate.pk)
    )
    _refuse_if_open(candidate)
    return _create(actor=actor, candidate=candidate, answers={})


@transaction.atomic
def assessment_reassess(*, actor, candidate: Candidate) -> DueDiligenceAssessment:
    """Start a new assessment pre-filled with the answers of the last one (coordinators).

    The new one uses the latest question bank; answers to questions (or options) that bank no longer
    has are left out, so they must be answered again.
    """
    _manage(actor, candidate)
    candidate = (
        Candidate.objects.select_for_update(of=("self",))
        .select_related("organisation", "partnership")
        .get(pk=candidate.pk)
    )
    _refuse_if_open(candidate)
    previous = (
        DueDiligenceAssessment.objects.filter(candidate=candidate).order_by("-created_at", "-pk").first()
    )
    if previous is None:
        raise ValidationError(
            {"candidate": _("There is no earlier assessment to start from; start a new one.")}
        )
    bank = question_bank()
    answers = {}
    for question_id in previous.answers or {}:
        question = bank.question(question_id)
        if question is None:
            continue
        option = chosen_option(previous.answers, question_id)
        answers[question_id] = {
            "option": option if question.option(option) else "",
            "evidence": evidence_of(previous.answers, question_id),
        }
        if not answers[question_id]["option"] and not answers[question_id]["evidence"]:
            del answers[question_id]
    return _create(actor=actor, candidate=candidate, answers=answers, previous=previous)


def _clean_answers(bank, answers) -> dict[str, dict]:
    """Submitted answers, checked against the bank; errors name the question (``answers.<id>``)."""
    if not isinstance(answers, Mapping):
        raise ValidationError({"answers": _("Give the answers as a mapping of question to answer.")})
    errors = {f"answers.{qid}": message for qid, message in answer_errors(bank, answers).items()}
    cleaned = {}
    for question_id, entry in answers.items():
        key = f"answers.{question_id}"
        if key in errors:
            continue
        unknown = set(entry) - ANSWER_KEYS
        if unknown:
            errors[key] = _("Unknown parts of an answer: %(names)s (use option and evidence).") % {
                "names": ", ".join(sorted(str(name) for name in unknown))
            }
            continue
        value = {}
        if "option" in entry:
            value["option"] = str(entry["option"] or "")
        if "evidence" in entry:
            evidence = entry["evidence"]
            if evidence is not None and not isinstance(evidence, str):
                errors[f"{key}.evidence"] = _("The evidence must be text.")
                continue
            evidence = (evidence or "").strip()
            if len(evidence) > EVIDENCE_MAX:
                errors[f"{key}.evidence"] = _("Keep the evidence under %(max)s characters.") % {
                    "max": EVIDENCE_MAX
                }
                continue
            value["evidence"] = evidence
        cleaned[question_id] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _refuse_unless_in_progress(assessment: DueDiligenceAssessment) -> None:
    if assessment.completed_at is not None:
        raise ValidationError(
            {
                "answers": _(
                    "This assessment is completed and its answers can no longer change; start a "
                    "reassessment instead."
                )
            }
        )


@transaction.atomic
def assessment_answer(*, actor, assessment: DueDiligenceAssessment, answers: dict) -> DueDiligenceAssessment:
    """Save some or all answers: ``{question_id: {"option": id, "evidence": text}}`` (coordinators).

    Partial saves are fine: questions not named keep their answer, and so does a part (option or
    evidence) left out. An empty option clears the answer. Unknown questions or options: 422 naming them.
    """
    _manage(actor, assessment.candidate)
    assessment = _locked(assessment)
    _refuse_unless_in_progress(assessment)
    bank = question_bank(assessment.bank_version)
    cleaned = _clean_answers(bank, answers)
    current = {qid: dict(entry) for qid, entry in (assessment.answers or {}).items()}
    before, after = {}, {}
    for question_id, value in cleaned.items():
        old = current.get(question_id, {})
        new = {"option": old.get("option", ""), "evidence": old.get("evidence", ""), **value}
        if new == {"option": old.get("option", ""), "evidence": old.get("evidence", "")}:
            continue
        before[question_id] = {"option": old.get("option") or None, "evidence": bool(old.get("evidence"))}
        after[question_id] = {"option": new["option"] or None, "evidence": bool(new["evidence"])}
        if new["option"] or new["evidence"]:
            current[question_id] = new
        else:
            current.pop(question_id, None)
    if not after:
        return assessment
    assessment.answers = current
    assessment.save(update_fields=["answers"])
    audit_record(
        actor=actor,
        action="formation.due_diligence.answered",
        target=assessment,
        partnership=assessment.candidate.partnership,
        before=before,
        after=after,
    )
    return assessment


@transaction.atomic
def assessment_complete(*, actor, assessment: DueDiligenceAssessment) -> DueDiligenceAssessment:
    """Compute and store the score and tier (coordinators). Refused, naming each unanswered question,
    while the assessment is incomplete."""
    _manage(actor, assessment.candidate)
    assessment = _locked(assessment)
    if assessment.completed_at is not None:
        raise ValidationError({"answers": _("This assessment is already completed.")})
    result = evaluate(question_bank(assessment.bank_version), assessment.answers or {})
    if result.missing:
        raise ValidationError(
            {f"answers.{qid}": _("This question has no answer yet.") for qid in result.missing}
        )
    assessment.score = result.score
    assessment.tier = result.tier
    assessment.completed_at = clock.now()
    assessment.save(update_fields=["score", "tier", "completed_at"])
    audit_record(
        actor=actor,
        action="formation.due_diligence.completed",
        target=assessment,
        partnership=assessment.candidate.partnership,
        after={
            "score": result.score,
            "tier": result.tier,
            "red_flags": list(result.red_flags),
            "answers": _snapshot(assessment.answers),
        },
    )
    return assessment


@transaction.atomic
def assessment_decide(
    *,
    actor,
    assessment: DueDiligenceAssessment,
    decision: str,
    reason: str,
    reassess_on: date | None = None,
) -> DueDiligenceAssessment:
    """Admit or reject the candidate on a completed assessment, with reasons (coordinators).

    A high-risk admission is not effective until a second coordinator approves it (``assessment_approve``).
    """
    _manage(actor, assessment.candidate)
    assessment = _locked(assessment)
    reason = (reason or "").strip()
    errors = {}
    if assessment.completed_at is None:
        errors["decision"] = _("Complete the assessment before deciding.")
    elif assessment.decision != DueDiligenceDecision.PENDING:
        errors["decision"] = _(
            "This assessment has been decided already; start a reassessment to decide again."
        )
    elif decision not in (DueDiligenceDecision.ADMIT, DueDiligenceDecision.REJECT):
        errors["decision"] = _("Choose admit or reject.")
    if not reason:
        errors["reason"] = _("Give the reasons for the decision.")
    elif len(reason) > REASON_MAX:
        errors["reason"] = _("Keep the reasons under %(max)s characters.") % {"max": REASON_MAX}
    if reassess_on is not None and reassess_on <= selectors.today():
        errors["reassess_on"] = _("The reassessment date must lie in the future.")
    if errors:
        raise ValidationError(errors)
    assessment.decision = decision
    assessment.decision_reason = reason
    assessment.decided_by = actor
    assessment.decided_at = clock.now()
    assessment.reassess_on = reassess_on
    assessment.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at", "reassess_on"])
    audit_record(
        actor=actor,
        action="formation.due_diligence.decided",
        target=assessment,
        partnership=assessment.candidate.partnership,
        before={"decision": DueDiligenceDecision.PENDING},
        after={
            "decision": decision,
            "tier": assessment.tier,
            "score": assessment.score,
            "reassess_on": reassess_on,
            "needs_approval": selectors.needs_approval(assessment),
        },
        reason=reason,
    )
    return assessment


@transaction.atomic
def assessment_approve(
    *, actor, assessment: DueDiligenceAssessment, reason: str = ""
) -> DueDiligenceAssessment:
    """A second coordinator approves a high-risk admission (four eyes). The decider cannot approve."""
    _manage(actor, assessment.candidate)
    assessment = _locked(assessment)
    reason = (reason or "").strip()
    if not selectors.needs_approval(assessment):
        raise ValidationError(
            {"decision": _("Only a high-risk admission that awaits approval can be approved.")}
        )
    if assessment.decided_by_id == actor.pk:
        raise PermissionDenied(
            _("A second coordinator must approve this admission: you took the decision yourself.")
        )
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("Keep the reason under %(max)s characters.") % {"max": REASON_MAX}}
        )
    assessment.approved_by = actor
    assessment.approved_at = clock.now()
    assessment.save(update_fields=["approved_by", "approved_at"])
    audit_record(
        actor=actor,
        action="formation.due_diligence.approved",
        target=assessment,
        partnership=assessment.candidate.partnership,
        after={"approved": True, "tier": assessment.tier, "decided_by": str(assessment.decided_by.code)},
        reason=reason,
    )
    return assessment


# Reminders ----------------------------------------------------------------------------------------------


def _reminder_sent_today(assessment: DueDiligenceAssessment, day: date) -> bool:
    return AuditEvent.objects.filter(
        chain=str(assessment.candidate.partnership.code),
        action=REMINDER_ACTION,
        target_code=str(assessment.code),
        after__day=day.isoformat(),
    ).exists()


def _send_reminder(assessment: DueDiligenceAssessment, user) -> None:
    """One email: the organisation, the date and a link; never anything of the answers."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {
            "organisation": assessment.candidate.organisation.name,
            "partnership": assessment.candidate.partnership.name,
            "reassess_on": assessment.reassess_on,
            "url": settings.SITE_URL + selectors.assessment_page_url(assessment),
        }
        subject = _("Reassessment due: %(organisation)s") % {"organisation": context["organisation"]}
        body = render_to_string("formation/diligence/email/reassessment_due.txt", context)
    send_mail(subject, body, None, [user.email])


def reminders_send(*, day: date | None = None) -> int:
    """Email coordinators about reassessments due within 14 days (or overdue). Idempotent per day: each
    assessment's reminder is recorded in the partnership's audit trail and not sent twice on one day.
    Returns the number of emails sent."""
    day = day or selectors.today()
    sent = 0
    due = selectors.dangerously_reassessments_due_everywhere(
        until=day + timedelta(days=selectors.REMINDER_DAYS)
    )
    for assessment in due:
        if not assessment.coordinators:
            continue
        with transaction.atomic():
            if _reminder_sent_today(assessment, day):
                continue
            for user in assessment.coordinators:
                _send_reminder(assessment, user)
                sent += 1
            audit_record(
                actor=None,
                actor_label="formation_reminders",
                action=REMINDER_ACTION,
                target=assessment,
                partnership=assessment.candidate.partnership,
                after={
                    "day": day.isoformat(),
                    "reassess_on": assessment.reassess_on,
                    "recipients": [user.email for user in assessment.coordinators],
                },
            )
    return sent
