"""Due-diligence endpoints: a candidate's assessments (coordinators only) and the question bank.

Members and viewers get 403, outsiders 404, like the pages. Bad answers answer 422 naming the question
(``answers.<question id>: ...``).
"""

from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate
from pydantic import ValidationError as PydanticValidationError

from safepact.accounts.schemas import with_errors
from safepact.formation.question_banks import (
    QuestionBankNotFound,
    language_of,
    question_bank,
    rules_in_words,
    tr,
)
from safepact.formation.schemas.diligence import (
    ApproveIn,
    AssessmentOut,
    AssessmentPatch,
    AssessmentStartIn,
    DecideIn,
    QuestionBankOut,
)
from safepact.formation.selectors.diligence import (
    assessment_list,
    get_assessment_for_user,
    get_diligence_candidate_for_user,
)
from safepact.formation.services import diligence as services
from safepact.lib.pagination import LimitOffsetPagination

router = Router(tags=["formation"])

READ = with_errors(403)
WRITE = with_errors(403, 422)
BASE = "/partnerships/{code}/formation/candidates/{candidate_code}/assessments"


def _fresh(user, code, candidate_code, assessment):
    return get_assessment_for_user(user, code, candidate_code, assessment.code)


def _optional_body(request, schema):
    """A JSON body that may be left out entirely (ninja refuses an empty body for a declared payload)."""
    raw = request.body.strip()
    if request.content_type != "application/json":
        if request.POST or request.FILES or (raw and not request.content_type.startswith("multipart/")):
            raise ValidationError({"body": _("Send the body as JSON (Content-Type: application/json).")})
        return schema()
    if not raw:
        return schema()
    try:
        return schema.model_validate_json(raw)
    except PydanticValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error.get("loc", ())) or "body"
        raise ValidationError({where: error.get("msg", "invalid")}) from None


def _body_doc(schema) -> dict:
    return {
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        }
    }


@router.get(
    BASE, response={200: list[AssessmentOut], **READ}, summary="Assessments of a candidate (coordinator)"
)
@paginate(LimitOffsetPagination)
def assessment_index(request, code: UUID, candidate_code: UUID):
    candidate = get_diligence_candidate_for_user(request.auth, code, candidate_code)
    return assessment_list(user=request.auth, candidate=candidate)


@router.post(
    BASE,
    response={201: AssessmentOut, **WRITE},
    summary="Start an assessment (coordinator)",
    openapi_extra=_body_doc(AssessmentStartIn),
)
def assessment_new(request, code: UUID, candidate_code: UUID):
    """Start an empty assessment, or with ``prefill`` a reassessment pre-filled from the last one.
    Refused (422) while another assessment of the candidate has no decision yet."""
    user = request.auth
    candidate = get_diligence_candidate_for_user(user, code, candidate_code)
    payload = _optional_body(request, AssessmentStartIn)
    if payload.prefill:
        assessment = services.assessment_reassess(actor=user, candidate=candidate)
    else:
        assessment = services.assessment_start(actor=user, candidate=candidate)
    return Status(201, _fresh(user, code, candidate_code, assessment))


@router.get(f"{BASE}/{{assessment_code}}", response={200: AssessmentOut, **READ}, summary="One assessment")
def assessment_detail(request, code: UUID, candidate_code: UUID, assessment_code: UUID):
    return get_assessment_for_user(request.auth, code, candidate_code, assessment_code)


@router.patch(
    f"{BASE}/{{assessment_code}}",
    response={200: AssessmentOut, **WRITE},
    summary="Save answers (coordinator)",
)
def assessment_patch(
    request, code: UUID, candidate_code: UUID, assessment_code: UUID, payload: AssessmentPatch
):
    user = request.auth
    assessment = get_assessment_for_user(user, code, candidate_code, assessment_code)
    services.assessment_answer(actor=user, assessment=assessment, answers=payload.answers)
    return get_assessment_for_user(user, code, candidate_code, assessment_code)


@router.post(
    f"{BASE}/{{assessment_code}}/complete",
    response={200: AssessmentOut, **WRITE},
    summary="Complete an assessment: store its score and tier (coordinator)",
)
def assessment_complete(request, code: UUID, candidate_code: UUID, assessment_code: UUID):
    """Refused (422, naming each unanswered question in ``fields``) while a question has no answer."""
    user = request.auth
    assessment = get_assessment_for_user(user, code, candidate_code, assessment_code)
    services.assessment_complete(actor=user, assessment=assessment)
    return get_assessment_for_user(user, code, candidate_code, assessment_code)


@router.post(
    f"{BASE}/{{assessment_code}}/decide",
    response={200: AssessmentOut, **WRITE},
    summary="Admit or reject, with reasons (coordinator)",
)
def assessment_decide(request, code: UUID, candidate_code: UUID, assessment_code: UUID, payload: DecideIn):
    """A high-risk admission takes effect only after a second coordinator approves it."""
    user = request.auth
    assessment = get_assessment_for_user(user, code, candidate_code, assessment_code)
    services.assessment_decide(
        actor=user,
        assessment=assessment,
        decision=payload.decision,
        reason=payload.reason,
        reassess_on=payload.reassess_on,
    )
    return get_assessment_for_user(user, code, candidate_code, assessment_code)


@router.post(
    f"{BASE}/{{assessment_code}}/approve",
    response={200: AssessmentOut, **WRITE},
    summary="Approve a high-risk admission (a second coordinator)",
    openapi_extra=_body_doc(ApproveIn),
)
def assessment_approve(request, code: UUID, candidate_code: UUID, assessment_code: UUID):
    """Four eyes: the coordinator who decided gets 403; anything but a pending high-risk admission 422."""
    user = request.auth
    assessment = get_assessment_for_user(user, code, candidate_code, assessment_code)
    payload = _optional_body(request, ApproveIn)
    services.assessment_approve(actor=user, assessment=assessment, reason=payload.reason)
    return get_assessment_for_user(user, code, candidate_code, assessment_code)


@router.get(
    "/formation/question-bank",
    response={200: QuestionBankOut, **with_errors(422)},
    summary="The due-diligence question bank",
)
def question_bank_detail(request, lang: str | None = None, version: str | None = None):
    """The latest bank (or ``version``) in the requester's language, or in ``lang`` (en, nl)."""
    codes = [code for code, _name in settings.LANGUAGES]
    if lang is not None and lang not in codes:
        raise ValidationError(
            {"lang": _("Unknown language; use one of: %(codes)s.") % {"codes": ", ".join(codes)}}
        )
    language = language_of(lang or getattr(request.auth, "language", None))
    try:
        bank = question_bank(version)
    except QuestionBankNotFound:
        raise ValidationError({"version": _("There is no question bank of this version.")}) from None
    return {
        "version": bank.version,
        "language": language,
        "title": tr(bank.title, language),
        "description": tr(bank.description, language),
        "topics": [
            {"key": t.id, "title": tr(t.title, language), "description": tr(t.description, language)}
            for t in bank.topics
        ],
        "questions": [
            {
                "key": q.id,
                "topic": q.topic,
                "text": tr(q.text, language),
                "help": tr(q.help, language),
                "evidence_expected": q.evidence_expected
                if isinstance(q.evidence_expected, bool)
                else sorted(q.evidence_expected),
                "options": [
                    {"key": o.id, "text": tr(o.text, language), "points": o.points, "red_flag": o.red_flag}
                    for o in q.options
                ],
            }
            for q in bank.questions
        ],
        "rules": bank.raw_rules,
        "rules_text": rules_in_words(bank, language),
    }
