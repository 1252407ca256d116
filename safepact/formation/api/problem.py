"""API for the problem area of formation: the problem statement, its figures and briefing links.

``GET/PUT /partnerships/{code}/formation/problem``; figures ``POST .../problem/figures`` and
``PATCH/DELETE .../problem/figures/{figure_code}``; briefings ``GET/POST .../problem/briefings`` and
``POST .../problem/briefings/{briefing_code}/revoke`` (coordinators). Members read the statement when its
TLP label allows (otherwise ``visible`` is false and the content is empty; ``withheld_reason`` then says
what to sign when the partnership's confidentiality gate, not the label, withholds it).
"""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from ninja import Router, Status
from ninja.pagination import paginate

from safepact.accounts.schemas import with_errors
from safepact.formation.schemas.problem import (
    BriefingIn,
    BriefingOut,
    FigureIn,
    FigureOut,
    FigurePatch,
    ProblemIn,
    ProblemOut,
)
from safepact.formation.selectors.problem import (
    ProblemView,
    briefing_share_list,
    candidate_choices,
    get_briefing_share_for_user,
    get_figure_for_user,
    get_problem_for_user,
    recipient_organisation_choices,
    recipient_people_choices,
)
from safepact.formation.services import problem as services
from safepact.lib.pagination import LimitOffsetPagination
from safepact.partnerships.selectors import get_partnership_for_user
from safepact.partnerships.tlp import withheld_reason

router = Router(tags=["formation"])

READ = with_errors()
WRITE = with_errors(403, 422)
BASE = "/partnerships/{code}/formation/problem"


def _problem_out(view: ProblemView, user) -> dict:
    statement = view.statement
    if statement is None:
        return {"exists": False, "visible": True, "tlp": "green"}
    out = {"exists": True, "visible": view.visible, "tlp": statement.tlp}
    if not view.visible:
        out["withheld_reason"] = withheld_reason(user, statement)
    if view.visible:
        out.update(
            nature=statement.nature,
            causes=statement.causes,
            recipient_organisations=list(statement.recipient_organisations.all()),
            recipient_people=list(statement.recipient_people.all()),
            figures=view.figures,
            updated_at=statement.updated_at,
            updated_by=statement.updated_by,
        )
    return out


def _pick(queryset, codes: list[UUID], field: str) -> list:
    """Objects of ``queryset`` by code, or a 422 naming ``field`` (one answer for missing and not allowed)."""
    codes = list(dict.fromkeys(codes))
    found = list(queryset.filter(code__in=codes))
    if len(found) != len(codes):
        raise ValidationError({field: _("Unknown code, or not allowed here.")})
    return found


@router.get(
    BASE,
    response={200: ProblemOut, **READ},
    summary="The problem statement (as far as its TLP label lets you read it)",
)
def problem_detail(request, code: UUID):
    return _problem_out(get_problem_for_user(request.auth, code), request.auth)


@router.put(
    BASE,
    response={200: ProblemOut, **WRITE},
    summary="Write the problem statement and its TLP label (coordinator)",
)
def problem_put(request, code: UUID, payload: ProblemIn):
    user = request.auth
    view = get_problem_for_user(user, code, manage=True)
    partnership = view.partnership
    organisations = _pick(
        recipient_organisation_choices(user=user, partnership=partnership),
        payload.recipient_organisations,
        "recipient_organisations",
    )
    people = _pick(
        recipient_people_choices(user=user, partnership=partnership),
        payload.recipient_people,
        "recipient_people",
    )
    services.problem_statement_update(
        actor=user,
        partnership=partnership,
        nature=payload.nature,
        causes=payload.causes,
        tlp=payload.tlp,
        recipient_organisations=organisations,
        recipient_people=people,
    )
    return _problem_out(get_problem_for_user(user, code), user)


@router.post(f"{BASE}/figures", response={201: FigureOut, **WRITE}, summary="Add a figure (coordinator)")
def figure_new(request, code: UUID, payload: FigureIn):
    user = request.auth
    view = get_problem_for_user(user, code, manage=True)
    figure = services.problem_figure_add(actor=user, partnership=view.partnership, **payload.dict())
    return Status(201, figure)


@router.patch(
    f"{BASE}/figures/{{figure_code}}",
    response={200: FigureOut, **WRITE},
    summary="Change a figure or move it (coordinator)",
)
def figure_edit(request, code: UUID, figure_code: UUID, payload: FigurePatch):
    user = request.auth
    figure = get_figure_for_user(user, code, figure_code)
    changes = payload.dict(exclude_unset=True)
    for name in ("label", "value", "source", "as_of"):
        if name in changes and changes[name] is None:
            raise ValidationError({name: _("This field cannot be empty.")})
    if changes.get("unit", "") is None:
        changes["unit"] = ""
    return services.problem_figure_change(actor=user, figure=figure, **changes)


@router.delete(
    f"{BASE}/figures/{{figure_code}}", response={204: None, **WRITE}, summary="Remove a figure (coordinator)"
)
def figure_delete(request, code: UUID, figure_code: UUID):
    user = request.auth
    figure = get_figure_for_user(user, code, figure_code)
    services.problem_figure_remove(actor=user, figure=figure)
    return Status(204, None)


@router.get(f"{BASE}/briefings", response=list[BriefingOut], summary="Briefing links sent (coordinator)")
@paginate(LimitOffsetPagination)
def briefing_index(request, code: UUID):
    user = request.auth
    partnership = get_partnership_for_user(user, code, manage=True)
    return briefing_share_list(user=user, partnership=partnership)


@router.post(
    f"{BASE}/briefings",
    response={201: BriefingOut, **WRITE},
    summary="Email a personal briefing link to a candidate (coordinator)",
)
def briefing_new(request, code: UUID, payload: BriefingIn):
    user = request.auth
    view = get_problem_for_user(user, code, manage=True)
    [candidate] = _pick(
        candidate_choices(user=user, partnership=view.partnership), [payload.candidate], "candidate"
    )
    share, _token = services.briefing_share_create(actor=user, candidate=candidate, email=payload.email)
    return Status(201, share)


@router.post(
    f"{BASE}/briefings/{{briefing_code}}/revoke",
    response={200: BriefingOut, **WRITE},
    summary="Revoke a briefing link (coordinator)",
)
def briefing_revoke(request, code: UUID, briefing_code: UUID):
    user = request.auth
    share = get_briefing_share_for_user(user, code, briefing_code)
    return services.briefing_share_revoke(actor=user, share=share)
