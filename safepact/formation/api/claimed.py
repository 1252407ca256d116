"""API for the claimed area of formation: the CLAIMED journey of a partnership.

``GET /partnerships/{code}/formation/journey``: the seven steps (any member);
``PUT /partnerships/{code}/formation/journey/{step}``: not applicable with a reason, or reopen (coordinators).
"""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from ninja import Router

from safepact.accounts.schemas import with_errors
from safepact.formation.models import ClaimedStep
from safepact.formation.schemas.claimed import StepDecisionIn, StepOut
from safepact.formation.selectors.claimed import claimed_journey
from safepact.formation.services.claimed import claimed_step_reopen, claimed_step_set_not_applicable
from safepact.partnerships.selectors import get_partnership_for_user

router = Router(tags=["formation"])

READ = with_errors()
WRITE = with_errors(403, 422)


@router.get(
    "/partnerships/{code}/formation/journey",
    response={200: list[StepOut], **READ},
    summary="The CLAIMED journey: seven steps with state, evidence and what is open",
)
def journey(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return claimed_journey(user=request.auth, partnership=partnership)


@router.put(
    "/partnerships/{code}/formation/journey/{step}",
    response={200: StepOut, **WRITE},
    summary="Mark a CLAIMED step not applicable, or reopen it (coordinator)",
)
def journey_step(request, code: UUID, step: str, payload: StepDecisionIn):
    user = request.auth
    partnership = get_partnership_for_user(user, code, manage=True)
    if step not in ClaimedStep.values:
        raise ValidationError({"step": _("Unknown CLAIMED step.")})
    if payload.not_applicable:
        claimed_step_set_not_applicable(actor=user, partnership=partnership, step=step, reason=payload.reason)
    else:
        claimed_step_reopen(actor=user, partnership=partnership, step=step, reason=payload.reason)
    steps = claimed_journey(user=user, partnership=partnership)
    return next(s for s in steps if s.step == step)
