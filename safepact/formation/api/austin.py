"""API for the austin area of formation: the coordinator's profiles (history) and partners' input.

Any member reads; coordinators record profiles; members give input for their own organisation
(coordinators for any partner).
"""

from uuid import UUID

from ninja import Router, Status
from ninja.pagination import paginate

from safepact.accounts.schemas import with_errors
from safepact.formation.schemas.austin import (
    AustinInputIn,
    AustinInputsOut,
    AustinProfileIn,
    AustinProfileOut,
)
from safepact.formation.selectors.austin import (
    austin_current_inputs,
    austin_profile_list,
    summarise_inputs,
)
from safepact.formation.selectors.objectives import get_partner_to_speak_for
from safepact.formation.services import austin as services
from safepact.lib.pagination import LimitOffsetPagination
from safepact.partnerships.selectors import get_partnership_for_user

router = Router(tags=["formation"])

READ = with_errors()
WRITE = with_errors(403, 422)
BASE = "/partnerships/{code}/formation/austin"


@router.get(f"{BASE}/profiles", response=list[AustinProfileOut], summary="Continuum profiles, oldest first")
@paginate(LimitOffsetPagination)
def profile_index(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return austin_profile_list(user=request.auth, partnership=partnership)


@router.post(
    f"{BASE}/profiles", response={201: AustinProfileOut, **WRITE}, summary="Record a profile (coordinator)"
)
def profile_new(request, code: UUID, payload: AustinProfileIn):
    """All seven dimensions are needed; the answer's ``fit`` says whether the declared stage fits."""
    partnership = get_partnership_for_user(request.auth, code, manage=True)
    profile = services.austin_profile_record(
        actor=request.auth,
        partnership=partnership,
        scores=payload.scores,
        declared_stage=payload.declared_stage,
        note=payload.note,
    )
    return Status(201, profile)


@router.get(f"{BASE}/inputs", response={200: AustinInputsOut, **READ}, summary="Partners' latest input")
def input_index(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    inputs = austin_current_inputs(user=request.auth, partnership=partnership)
    return {"inputs": inputs, "summary": list(summarise_inputs(inputs).values())}


@router.post(
    f"{BASE}/inputs",
    response={201: AustinInputsOut, **WRITE},
    summary="Give input on the continuum (own organisation, or coordinator)",
)
def input_new(request, code: UUID, payload: AustinInputIn):
    user = request.auth
    if payload.partner is None:
        partnership = get_partnership_for_user(user, code, write=True)
        partner = partnership.membership.partner
        partner.partnership = partnership
    else:
        partner = get_partner_to_speak_for(user, code, payload.partner, write=True)
        partnership = partner.partnership
    services.austin_input_give(
        actor=user, partner=partner, positions=payload.positions, comments=payload.comments
    )
    inputs = austin_current_inputs(user=user, partnership=partnership)
    return Status(201, {"inputs": inputs, "summary": list(summarise_inputs(inputs).values())})
