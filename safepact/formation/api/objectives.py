"""API for the objectives area of formation: objectives, motives, commitments, alignment, focus limit.

Same access rules as the pages: any member reads; coordinators manage objectives and the focus limit;
members state motives and commitments for their own organisation (coordinators for any partner).
"""

from uuid import UUID

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from ninja import Router, Status
from ninja.pagination import paginate

from safepact.accounts.schemas import with_errors
from safepact.formation.schemas.objectives import (
    AlignmentOut,
    CommitmentIn,
    CommitmentOut,
    MotivationIn,
    MotivationOut,
    ObjectiveIn,
    ObjectiveOut,
    ObjectivePatch,
    ObjectiveSaved,
    ObjectiveStatusValue,
    SettingsIn,
    SettingsOut,
)
from safepact.formation.selectors.objectives import (
    alignment_matrix,
    formation_settings_for,
    get_objective_for_user,
    get_partner_to_speak_for,
    motivation_for,
    motivation_is_stated,
    objective_list,
)
from safepact.formation.services import objectives as services
from safepact.lib.pagination import LimitOffsetPagination
from safepact.partnerships.selectors import get_partnership_for_user

router = Router(tags=["formation"])

READ = with_errors()
WRITE = with_errors(403, 422)
BASE = "/partnerships/{code}/formation"
COMMITMENT_NOT_FOUND = _("This partner has no commitment to this objective.")


def _objective_out(user, code, objective):
    """The objective re-read with its commitments, keeping the service's warnings."""
    partnership = get_partnership_for_user(user, code)
    fresh = objective_list(user=user, partnership=partnership).get(pk=objective.pk)
    fresh.warnings = getattr(objective, "warnings", [])
    return fresh


# Objectives -------------------------------------------------------------------------------------------


@router.get(f"{BASE}/objectives", response=list[ObjectiveOut], summary="Objectives, by priority")
@paginate(LimitOffsetPagination)
def objective_index(request, code: UUID, status: ObjectiveStatusValue | None = None):  # type: ignore[valid-type]
    partnership = get_partnership_for_user(request.auth, code)
    return objective_list(user=request.auth, partnership=partnership, status=status)


@router.post(
    f"{BASE}/objectives", response={201: ObjectiveSaved, **WRITE}, summary="Add an objective (coordinator)"
)
def objective_new(request, code: UUID, payload: ObjectiveIn):
    """Adding beyond the focus limit is allowed: the answer's ``warnings`` say so."""
    partnership = get_partnership_for_user(request.auth, code, manage=True)
    objective = services.objective_create(actor=request.auth, partnership=partnership, **payload.dict())
    return Status(201, _objective_out(request.auth, code, objective))


@router.get(
    f"{BASE}/objectives/{{objective_code}}", response={200: ObjectiveOut, **READ}, summary="One objective"
)
def objective_detail(request, code: UUID, objective_code: UUID):
    objective = get_objective_for_user(request.auth, code, objective_code)
    return _objective_out(request.auth, code, objective)


@router.patch(
    f"{BASE}/objectives/{{objective_code}}",
    response={200: ObjectiveSaved, **WRITE},
    summary="Change, re-rank or mark an objective achieved/dropped (coordinator)",
)
def objective_edit(request, code: UUID, objective_code: UUID, payload: ObjectivePatch):
    user = request.auth
    objective = get_objective_for_user(user, code, objective_code, manage=True)
    data = payload.dict(exclude_unset=True)
    reason = data.pop("reason", "")
    status, priority = data.pop("status", None), data.pop("priority", None)
    warnings = []
    with transaction.atomic():
        if data:
            services.objective_update(actor=user, objective=objective, reason=reason, **data)
        if status is not None:
            objective = services.objective_set_status(
                actor=user, objective=objective, status=status, reason=reason
            )
            warnings = objective.warnings
        if priority is not None:
            services.objective_move(actor=user, objective=objective, priority=priority, reason=reason)
    objective.warnings = warnings
    return _objective_out(user, code, objective)


@router.delete(
    f"{BASE}/objectives/{{objective_code}}",
    response={204: None, **WRITE},
    summary="Delete an objective and its commitments (coordinator)",
)
def objective_remove(request, code: UUID, objective_code: UUID):
    objective = get_objective_for_user(request.auth, code, objective_code, manage=True)
    services.objective_delete(actor=request.auth, objective=objective)
    return Status(204, None)


# Commitments --------------------------------------------------------------------------------------------


def _commitment_pair(user, code, objective_code, partner_code):
    """Objective and partner, checked in the order that leaks least: partnership, objective, partner+role."""
    objective = get_objective_for_user(user, code, objective_code)
    partner = get_partner_to_speak_for(user, code, partner_code, write=True)
    objective.partnership = partner.partnership
    return objective, partner


@router.post(
    f"{BASE}/objectives/{{objective_code}}/commitments/{{partner_code}}",
    response={201: CommitmentOut, **WRITE},
    summary="A partner commits to an objective (own organisation, or coordinator)",
)
def commitment_new(
    request, code: UUID, objective_code: UUID, partner_code: UUID, payload: CommitmentIn | None = None
):
    objective, partner = _commitment_pair(request.auth, code, objective_code, partner_code)
    commitment = services.commitment_add(
        actor=request.auth, objective=objective, partner=partner, note=payload.note if payload else ""
    )
    commitment.objective, commitment.partner = objective, partner
    return Status(201, commitment)


@router.delete(
    f"{BASE}/objectives/{{objective_code}}/commitments/{{partner_code}}",
    response={204: None, **WRITE},
    summary="Withdraw a partner's commitment (own organisation, or coordinator)",
)
def commitment_remove(request, code: UUID, objective_code: UUID, partner_code: UUID):
    objective, partner = _commitment_pair(request.auth, code, objective_code, partner_code)
    if not services.commitment_remove(actor=request.auth, objective=objective, partner=partner):
        raise Http404(COMMITMENT_NOT_FOUND)
    return Status(204, None)


# Motives ------------------------------------------------------------------------------------------------


@router.get(
    f"{BASE}/motivations/{{partner_code}}",
    response={200: MotivationOut, **READ},
    summary="A partner's motives and expected benefits",
)
def motivation_detail(request, code: UUID, partner_code: UUID):
    partner = get_partner_to_speak_for(request.auth, code, partner_code)
    motivation = motivation_for(user=request.auth, partner=partner)
    motivation.stated = motivation_is_stated(motivation)
    return motivation


@router.put(
    f"{BASE}/motivations/{{partner_code}}",
    response={200: MotivationOut, **WRITE},
    summary="State a partner's motives (own organisation, or coordinator)",
)
def motivation_put(request, code: UUID, partner_code: UUID, payload: MotivationIn):
    partner = get_partner_to_speak_for(request.auth, code, partner_code, write=True)
    motivation = services.motivation_set(actor=request.auth, partner=partner, **payload.dict())
    motivation.stated = motivation_is_stated(motivation)
    return motivation


# Alignment and settings ---------------------------------------------------------------------------------


@router.get(
    f"{BASE}/alignment", response={200: AlignmentOut, **READ}, summary="Partners by objectives, with warnings"
)
def alignment(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    matrix = alignment_matrix(user=request.auth, partnership=partnership)
    return {
        "focus_limit": matrix.focus_limit,
        "active_objectives": len(matrix.objectives),
        "partners": [
            {
                "code": row.partner.code,
                "organisation": row.partner.organisation.name,
                "motives_stated": row.stated,
            }
            for row in matrix.rows
        ],
        "objectives": [{"code": o.code, "title": o.title, "priority": o.priority} for o in matrix.objectives],
        "cells": [
            {"partner": row.partner.code, "objective": cell.objective.code, "committed": cell.committed}
            for row in matrix.rows
            for cell in row.cells
        ],
        "warnings": matrix.warnings,
    }


@router.get(
    f"{BASE}/settings", response={200: SettingsOut, **READ}, summary="Formation settings (focus limit)"
)
def settings_detail(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return formation_settings_for(user=request.auth, partnership=partnership)


@router.put(
    f"{BASE}/settings", response={200: SettingsOut, **WRITE}, summary="Change the focus limit (coordinator)"
)
def settings_put(request, code: UUID, payload: SettingsIn):
    partnership = get_partnership_for_user(request.auth, code, manage=True)
    services.formation_settings_set(
        actor=request.auth, partnership=partnership, focus_limit=payload.focus_limit
    )
    return formation_settings_for(user=request.auth, partnership=partnership)
