"""API of the candidate pipeline: suggestions, candidates and their moves, invitations, impartiality.

Members read the pipeline; suggestions, impartiality warnings and every write are for coordinators.
"""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from ninja import Router, Status
from ninja.pagination import paginate

from safepact.accounts.schemas import with_errors
from safepact.formation.schemas.pipeline import (
    CandidateDetailOut,
    CandidateIn,
    CandidateInviteIn,
    CandidateMoveIn,
    CandidateOut,
    DismissalIn,
    ImpartialityOut,
    SuggestionOut,
)
from safepact.formation.selectors.pipeline import (
    IMPARTIALITY_RATIONALE,
    candidate_list,
    candidate_moves,
    candidate_reasons,
    get_candidate_for_user,
    impartiality_split,
    impartiality_warnings,
    partnership_organisation,
    suggestion_list,
)
from safepact.formation.services import pipeline as services
from safepact.lib.pagination import LimitOffsetPagination
from safepact.partnerships.selectors import get_partnership_for_user, organisations_visible_to

router = Router(tags=["formation: candidates"])
PREFIX = "/partnerships/{code}/formation"
READ = with_errors(403)
WRITE = with_errors(403, 422)


def _detail(user, code, candidate_code):
    candidate = get_candidate_for_user(user, code, candidate_code)
    candidate.moves_list = list(candidate_moves(user=user, candidate=candidate))
    return candidate


@router.get(
    f"{PREFIX}/suggestions", response={200: list[SuggestionOut], **READ}, summary="Suggested candidates"
)
def suggestions(request, code: UUID):
    """The best ten candidates from the directory (coordinators), each with its reasons."""
    partnership = get_partnership_for_user(request.auth, code, manage=True)
    return suggestion_list(user=request.auth, partnership=partnership)


@router.get(f"{PREFIX}/candidates", response=list[CandidateOut], summary="Candidates of the partnership")
@paginate(LimitOffsetPagination)
def candidate_index(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return candidate_list(user=request.auth, partnership=partnership)


@router.post(f"{PREFIX}/candidates", response={201: CandidateDetailOut, **WRITE}, summary="Add a candidate")
def candidate_new(request, code: UUID, payload: CandidateIn):
    user = request.auth
    partnership = get_partnership_for_user(user, code, manage=True)
    organisation = organisations_visible_to(user).filter(code=payload.organisation).first()
    if organisation is None:
        raise ValidationError({"organisation": _("Organisation not found.")})
    candidate = services.candidate_add(
        actor=user,
        partnership=partnership,
        organisation=organisation,
        suggested=payload.suggested,
        reasons=candidate_reasons(user=user, partnership=partnership, organisation=organisation),
        note=payload.note,
    )
    return Status(201, (_detail(user, code, candidate.code)))


@router.get(
    f"{PREFIX}/candidates/{{candidate_code}}",
    response={200: CandidateDetailOut, **READ},
    summary="One candidate",
)
def candidate_detail(request, code: UUID, candidate_code: UUID):
    return _detail(request.auth, code, candidate_code)


@router.post(
    f"{PREFIX}/candidates/{{candidate_code}}/moves",
    response={200: CandidateDetailOut, **WRITE},
    summary="Move a candidate in the pipeline",
)
def candidate_move(request, code: UUID, candidate_code: UUID, payload: CandidateMoveIn):
    user = request.auth
    candidate = get_candidate_for_user(user, code, candidate_code, manage=True)
    services.candidate_move(actor=user, candidate=candidate, to_stage=payload.to_stage, reason=payload.reason)
    return _detail(user, code, candidate_code)


@router.post(
    f"{PREFIX}/candidates/{{candidate_code}}/invitation",
    response={200: CandidateDetailOut, **WRITE},
    summary="Invite a person of the candidate organisation (needs the due-diligence admission)",
)
def candidate_invite(request, code: UUID, candidate_code: UUID, payload: CandidateInviteIn):
    user = request.auth
    candidate = get_candidate_for_user(user, code, candidate_code, manage=True)
    services.candidate_invite(
        actor=user, candidate=candidate, email=payload.email, role=payload.role, message=payload.message
    )
    return _detail(user, code, candidate_code)


def _impartiality(user, partnership) -> dict:
    warnings, dismissed = impartiality_split(impartiality_warnings(user=user, partnership=partnership))
    return {
        "rationale": str(IMPARTIALITY_RATIONALE),
        "warnings": warnings,
        "dismissed": dismissed,
    }


@router.get(
    f"{PREFIX}/impartiality", response={200: ImpartialityOut, **READ}, summary="Impartiality warnings"
)
def impartiality(request, code: UUID):
    """Open and dismissed impartiality warnings (coordinators)."""
    partnership = get_partnership_for_user(request.auth, code, manage=True)
    return _impartiality(request.auth, partnership)


@router.post(
    f"{PREFIX}/impartiality/dismissals",
    response={201: ImpartialityOut, **WRITE},
    summary="Dismiss an impartiality warning, with a reason",
)
def impartiality_dismiss(request, code: UUID, payload: DismissalIn):
    user = request.auth
    partnership = get_partnership_for_user(user, code, manage=True)
    organisation = partnership_organisation(partnership=partnership, code=payload.organisation)
    if organisation is None:
        raise ValidationError({"organisation": _("Organisation not found.")})
    services.impartiality_dismiss(
        actor=user,
        partnership=partnership,
        organisation=organisation,
        rule=payload.rule,
        reason=payload.reason,
    )
    return Status(201, _impartiality(user, partnership))
