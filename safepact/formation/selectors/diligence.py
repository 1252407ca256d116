"""Reads for the due diligence of candidates: assessments, their live risk result, admission states and
what needs a coordinator's attention (reassessments due, admissions awaiting a second coordinator).

Due diligence is for coordinators only (its answers are about another organisation's integrity): every
page and endpoint fetches the candidate with ``manage=True``, so members and viewers get 403.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from safepact.formation.models import (
    Candidate,
    DueDiligenceAssessment,
    DueDiligenceDecision,
    RiskTier,
)
from safepact.formation.question_banks import (
    QuestionBank,
    RiskResult,
    chosen_option,
    evaluate,
    evidence_of,
    question_bank,
    rules_in_words,
    tr,
)
from safepact.lib import clock
from safepact.partnerships.hooks import AttentionItem
from safepact.partnerships.models import MembershipStatus, PartnerStatus, Role
from safepact.partnerships.permissions import can_manage
from safepact.partnerships.selectors import partnerships_for

ATTENTION_DAYS = 30  # the dashboard shows reassessments due within this many days (or overdue)
REMINDER_DAYS = 14  # the reminder email goes out for reassessments due within this many days (or overdue)

# Admission states of a candidate (``candidate_admission``).
ADMITTED = "admitted"
PENDING_APPROVAL = "pending_approval"
REJECTED = "rejected"
NONE = "none"

# States of one assessment (``assessment_state``).
IN_PROGRESS = "in_progress"
COMPLETED = "completed"


today = clock.today


def _parse_code(code) -> UUID | None:
    if isinstance(code, UUID):
        return code
    try:
        return UUID(str(code))
    except (TypeError, ValueError):
        return None


# Access -------------------------------------------------------------------------------------------------


def get_diligence_candidate_for_user(user, code, candidate_code) -> Candidate:
    """The candidate whose due diligence ``user`` opens: coordinators only (404 outsider, 403 others)."""
    from safepact.formation.selectors.pipeline import get_candidate_for_user

    return get_candidate_for_user(user, code, candidate_code, manage=True)


def _assessments() -> QuerySet[DueDiligenceAssessment]:
    return DueDiligenceAssessment.objects.select_related(
        "candidate__organisation", "candidate__partnership", "assessed_by", "decided_by", "approved_by"
    )


def get_assessment_for_user(user, code, candidate_code, assessment_code) -> DueDiligenceAssessment:
    """One assessment of a candidate of a partnership ``user`` coordinates; 404 when it is not there."""
    candidate = get_diligence_candidate_for_user(user, code, candidate_code)
    assessment = _assessments().filter(candidate=candidate, code=_parse_code(assessment_code)).first()
    if assessment is None:
        raise Http404(_("Assessment not found."))
    assessment.candidate = candidate  # keeps the membership attached by the access helper
    return assessment


def assessment_list(*, user, candidate: Candidate) -> QuerySet[DueDiligenceAssessment]:
    """Every assessment of ``candidate``, newest first (a candidate fetched through the access helper)."""
    return (
        _assessments()
        .filter(candidate=candidate, candidate__partnership__in=partnerships_for(user))
        .order_by("-created_at", "-pk")
    )


# States -----------------------------------------------------------------------------------------------


def needs_approval(assessment: DueDiligenceAssessment) -> bool:
    """A high-risk admission is not effective until a second coordinator approves it."""
    return (
        assessment.decision == DueDiligenceDecision.ADMIT
        and assessment.tier == RiskTier.HIGH
        and assessment.approved_by_id is None
    )


def assessment_state(assessment: DueDiligenceAssessment) -> str:
    """in_progress, completed (awaiting a decision), pending_approval, admitted or rejected."""
    if assessment.completed_at is None:
        return IN_PROGRESS
    if assessment.decision == DueDiligenceDecision.PENDING:
        return COMPLETED
    if assessment.decision == DueDiligenceDecision.REJECT:
        return REJECTED
    return PENDING_APPROVAL if needs_approval(assessment) else ADMITTED


def state_label(state: str) -> str:
    labels = {
        IN_PROGRESS: _("In progress"),
        COMPLETED: _("Completed, awaiting a decision"),
        PENDING_APPROVAL: _("Admission awaiting a second coordinator's approval"),
        ADMITTED: _("Admitted"),
        REJECTED: _("Rejected"),
    }
    return labels.get(state, state)


def is_open(assessment: DueDiligenceAssessment) -> bool:
    return assessment.decision == DueDiligenceDecision.PENDING


def open_assessment(candidate: Candidate) -> DueDiligenceAssessment | None:
    """The assessment of ``candidate`` that has no decision yet (at most one)."""
    return (
        DueDiligenceAssessment.objects.filter(candidate=candidate, decision=DueDiligenceDecision.PENDING)
        .order_by("-created_at", "-pk")
        .first()
    )


def _latest_decided(candidate_ids) -> QuerySet[DueDiligenceAssessment]:
    newer = DueDiligenceAssessment.objects.filter(
        candidate_id=OuterRef("candidate_id"), decided_at__isnull=False
    ).filter(
        Q(decided_at__gt=OuterRef("decided_at")) | Q(decided_at=OuterRef("decided_at"), pk__gt=OuterRef("pk"))
    )
    return DueDiligenceAssessment.objects.filter(
        candidate_id__in=candidate_ids, completed_at__isnull=False, decided_at__isnull=False
    ).exclude(Exists(newer))


def candidate_admissions(candidates) -> dict[int, str]:
    """The admission state of each candidate (by pk), in one query; see ``candidate_admission``."""
    ids = [candidate.pk for candidate in candidates]
    states = dict.fromkeys(ids, NONE)
    for assessment in _latest_decided(ids).only(
        "id", "candidate_id", "decision", "tier", "approved_by", "completed_at", "decided_at"
    ):
        states[assessment.candidate_id] = assessment_state(assessment)
    return states


def candidate_admission(candidate: Candidate) -> str:
    """Whether due diligence admits ``candidate``, judged by its latest decided assessment:

    "admitted" (decided admit, and when the tier is high also approved by a second coordinator),
    "pending_approval" (a high-risk admission not yet approved), "rejected", or "none" (no decision yet).
    A reassessment in progress does not change the state until it is decided.
    """
    return candidate_admissions([candidate])[candidate.pk]


# The assessment page --------------------------------------------------------------------------------


@dataclass
class QuestionView:
    id: str
    text: str
    help: str
    options: list[dict]
    chosen: str
    chosen_text: str
    points: int | None
    red_flag: bool
    evidence: str
    evidence_expected: bool
    evidence_missing: bool


@dataclass
class TopicView:
    id: str
    title: str
    description: str
    questions: list[QuestionView]
    score: int
    max_score: int
    answered: int
    total: int
    red_flags: int


def bank_of(assessment: DueDiligenceAssessment) -> QuestionBank:
    return question_bank(assessment.bank_version)


def assessment_result(assessment: DueDiligenceAssessment) -> RiskResult:
    """The live risk result of the assessment's answers, by the rules of its own bank version."""
    return evaluate(bank_of(assessment), assessment.answers or {})


def assessment_topics(
    assessment: DueDiligenceAssessment, result: RiskResult | None = None
) -> list[TopicView]:
    """The questionnaire by topic, in the active language, with the answers given so far."""
    bank = bank_of(assessment)
    result = result or evaluate(bank, assessment.answers or {})
    answers = assessment.answers or {}
    views = []
    for topic_result in result.topics:
        topic = topic_result.topic
        questions = []
        for question in bank.questions_of(topic.id):
            chosen = chosen_option(answers, question.id)
            option = question.option(chosen)
            questions.append(
                QuestionView(
                    id=question.id,
                    text=tr(question.text),
                    help=tr(question.help),
                    options=[
                        {"id": o.id, "text": tr(o.text), "points": o.points, "red_flag": o.red_flag}
                        for o in question.options
                    ],
                    chosen=chosen if option else "",
                    chosen_text=tr(option.text) if option else "",
                    points=option.points if option else None,
                    red_flag=bool(option and option.red_flag),
                    evidence=evidence_of(answers, question.id),
                    evidence_expected=question.expects_evidence(chosen or None),
                    evidence_missing=question.id in result.evidence_missing,
                )
            )
        views.append(
            TopicView(
                id=topic.id,
                title=tr(topic.title),
                description=tr(topic.description),
                questions=questions,
                score=topic_result.score,
                max_score=topic_result.max_score,
                answered=topic_result.answered,
                total=topic_result.total,
                red_flags=len(topic_result.red_flags),
            )
        )
    return views


def question_texts(bank: QuestionBank, question_ids) -> list[str]:
    return [tr(bank.question(qid).text) for qid in question_ids if bank.question(qid) is not None]


def diligence_page(*, user, candidate: Candidate, assessment: DueDiligenceAssessment | None = None) -> dict:
    """Everything the due-diligence page shows: the assessment (given, or the open one, or the latest),
    its live result by topic, the rules in words, the history, and what ``user`` may do next."""
    history = list(assessment_list(user=user, candidate=candidate))
    current = assessment or (history[0] if history else None)
    has_open = any(is_open(a) for a in history)
    context = {
        "candidate": candidate,
        "partnership": candidate.partnership,
        "assessment": current,
        "history": [
            {"assessment": a, "state": assessment_state(a), "state_label": state_label(assessment_state(a))}
            for a in history
        ],
        "admission": candidate_admission(candidate),
        "can_start": not has_open,
        "can_reassess": not has_open and bool(history),
    }
    bank = bank_of(current) if current else question_bank()
    context["bank"] = {"version": bank.version, "title": tr(bank.title), "description": tr(bank.description)}
    context["rules"] = rules_in_words(bank)
    if current is None:
        return context
    result = evaluate(bank, current.answers or {})
    state = assessment_state(current)
    membership = getattr(candidate.partnership, "membership", None)
    context.update(
        {
            "state": state,
            "state_label": state_label(state),
            "result": result,
            "result_tier_label": dict(RiskTier.choices)[result.tier],
            "topics": assessment_topics(current, result),
            "missing_texts": question_texts(bank, result.missing),
            "red_flag_texts": question_texts(bank, result.red_flags),
            "editable": state == IN_PROGRESS,
            "can_decide": state == COMPLETED,
            "can_approve": state == PENDING_APPROVAL
            and can_manage(membership)
            and current.decided_by_id != user.pk,
            "is_decider": current.decided_by_id == user.pk,
            "is_latest": bool(history) and current.pk == history[0].pk,
        }
    )
    return context


# Attention and reminders ----------------------------------------------------------------------------------


def _newer_assessment() -> QuerySet[DueDiligenceAssessment]:
    """For ``Exists``: a later assessment of the same candidate (started later, or at the same moment
    and created after), which supersedes the outer one's reassessment date."""
    return DueDiligenceAssessment.objects.filter(candidate_id=OuterRef("candidate_id")).filter(
        Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )


def _due_assessments(partnership_ids, *, until: date) -> QuerySet[DueDiligenceAssessment]:
    """The latest assessment of each candidate, when decided with a reassessment date on or before ``until``."""
    newer = _newer_assessment()
    return (
        DueDiligenceAssessment.objects.filter(
            candidate__partnership_id__in=partnership_ids,
            decided_at__isnull=False,
            reassess_on__isnull=False,
            reassess_on__lte=until,
        )
        .exclude(Exists(newer))
        .select_related("candidate__organisation", "candidate__partnership")
    )


def assessment_page_url(assessment: DueDiligenceAssessment) -> str:
    return reverse(
        "formation:diligence",
        kwargs={"code": assessment.candidate.partnership.code, "candidate_code": assessment.candidate.code},
    )


def reassessments_due(*, user, memberships) -> dict[int, list[AttentionItem]]:
    """Dashboard attention for coordinators: reassessments due within 30 days (or overdue), and
    high-risk admissions awaiting a second coordinator's approval. One query for all partnerships."""
    managed = [m.partner.partnership_id for m in memberships if m.role == Role.COORDINATOR]
    if not managed:
        return {}
    until = today() + timedelta(days=ATTENTION_DAYS)
    newer = _newer_assessment()
    rows = (
        DueDiligenceAssessment.objects.filter(candidate__partnership_id__in=managed)
        .filter(
            Q(decided_at__isnull=False, reassess_on__isnull=False, reassess_on__lte=until)
            | Q(decision=DueDiligenceDecision.ADMIT, tier=RiskTier.HIGH, approved_by__isnull=True)
        )
        .annotate(superseded=Exists(newer))
        .select_related("candidate__organisation", "candidate__partnership")
        .order_by("reassess_on", "decided_at", "pk")
    )
    items: dict[int, list[AttentionItem]] = {}
    for assessment in rows:
        partnership_id = assessment.candidate.partnership_id
        organisation = assessment.candidate.organisation.name
        url = assessment_page_url(assessment)
        if needs_approval(assessment):
            text = _("%(organisation)s awaits a second coordinator's approval.") % {
                "organisation": organisation
            }
            items.setdefault(partnership_id, []).append(AttentionItem(text=text, url=url))
        if assessment.reassess_on and assessment.reassess_on <= until and not assessment.superseded:
            text = _("Reassess %(organisation)s (due on %(date)s).") % {
                "organisation": organisation,
                "date": formats.date_format(assessment.reassess_on, "DATE_FORMAT"),
            }
            items.setdefault(partnership_id, []).append(AttentionItem(text=text, url=url))
    return items


def dangerously_reassessments_due_everywhere(*, until: date) -> list[DueDiligenceAssessment]:
    """For the reminder job only: due reassessments in every partnership, with the coordinators to tell.

    Not scoped to a user (the job has none); each assessment carries ``coordinators``, the active
    coordinators of its partnership, and nothing else leaves this function.
    """
    from safepact.partnerships.models import Membership, Partnership

    assessments = list(_due_assessments(Partnership.objects.values("pk"), until=until))
    partnership_ids = {a.candidate.partnership_id for a in assessments}
    coordinators: dict[int, list] = {}
    memberships = (
        Membership.objects.filter(
            partner__partnership_id__in=partnership_ids,
            role=Role.COORDINATOR,
            status=MembershipStatus.ACTIVE,
            partner__status=PartnerStatus.ACTIVE,
            user__is_active=True,
        )
        .select_related("user", "partner")
        .order_by("user__email")
    )
    for membership in memberships:
        coordinators.setdefault(membership.partner.partnership_id, []).append(membership.user)
    for assessment in assessments:
        assessment.coordinators = coordinators.get(assessment.candidate.partnership_id, [])
    return assessments
