"""API for the structure area of formation: bodies and seats, the task table (RACI), the exports.

Everyone in the partnership reads; coordinators write. Paths nest under
``/partnerships/{code}/formation/``; objects are named by their ``code``. Exports (``organogram.svg``,
``tasks.csv``, ``seats.csv``) are recorded in the audit trail.
"""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Router, Status
from ninja.pagination import paginate

from safepact.accounts.schemas import with_errors
from safepact.formation.schemas.structure import (
    AssignmentIn,
    AssignmentResult,
    BodyIn,
    BodyOut,
    BodyPatch,
    SeatIn,
    SeatOut,
    SeatPatch,
    TaskIn,
    TaskOut,
    TaskPatch,
)
from safepact.formation.selectors import structure as selectors
from safepact.formation.services import structure as services
from safepact.lib.pagination import LimitOffsetPagination
from safepact.partnerships.selectors import get_partnership_for_user

router = Router(tags=["formation: structure"])

READ = with_errors()
WRITE = with_errors(403, 422)
BASE = "/partnerships/{code}/formation"


def _body_out(user, partnership, body_code):
    return selectors.body_list(user=user, partnership=partnership).get(code=body_code)


def _seat_out(user, partnership, seat_code):
    return selectors.seat_list(user=user, partnership=partnership).get(code=seat_code)


def _task_out(user, partnership, task_code):
    return selectors.task_list(user=user, partnership=partnership).get(code=task_code)


def _parent(user, partnership, parent_code):
    """The parent body by code, or a 422 naming ``parent`` (another partnership's body is not found)."""
    if parent_code is None:
        return None
    parent = selectors.body_list(user=user, partnership=partnership).filter(code=parent_code).first()
    if parent is None:
        raise ValidationError({"parent": _("Body not found in this partnership.")})
    return parent


def _person(user, partnership, person_code):
    if person_code is None:
        return None
    person = selectors.structure_person_lookup(user=user, partnership=partnership, person_code=person_code)
    if person is None:
        raise ValidationError({"person": _("This person is not a member of this partnership.")})
    return person


# Bodies -------------------------------------------------------------------------------------------


@router.get(f"{BASE}/bodies", response=list[BodyOut], summary="Bodies of the structure, with their seats")
@paginate(LimitOffsetPagination)
def body_index(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return selectors.body_list(user=request.auth, partnership=partnership)


@router.post(f"{BASE}/bodies", response={201: BodyOut, **WRITE}, summary="Add a body (coordinator)")
def body_new(request, code: UUID, payload: BodyIn):
    user = request.auth
    partnership = get_partnership_for_user(user, code, manage=True)
    body = services.body_create(
        actor=user,
        partnership=partnership,
        name=payload.name,
        level=payload.level,
        parent=_parent(user, partnership, payload.parent),
        mandate=payload.mandate,
        position=payload.position,
    )
    return Status(201, _body_out(user, partnership, body.code))


@router.get(f"{BASE}/bodies/{{body_code}}", response={200: BodyOut, **READ}, summary="One body")
def body_detail(request, code: UUID, body_code: UUID):
    body = selectors.get_body_for_user(request.auth, code, body_code)
    return _body_out(request.auth, body.partnership, body.code)


@router.patch(
    f"{BASE}/bodies/{{body_code}}", response={200: BodyOut, **WRITE}, summary="Change a body (coordinator)"
)
def body_edit(request, code: UUID, body_code: UUID, payload: BodyPatch):
    user = request.auth
    body = selectors.get_body_for_user(user, code, body_code, manage=True)
    changes = payload.dict(exclude_unset=True)
    if "parent" in changes:
        changes["parent"] = _parent(user, body.partnership, changes["parent"])
    services.body_update(actor=user, body=body, **changes)
    return _body_out(user, body.partnership, body.code)


@router.delete(
    f"{BASE}/bodies/{{body_code}}",
    response={204: None, **WRITE},
    summary="Remove a body and its seats (coordinator)",
)
def body_remove(request, code: UUID, body_code: UUID):
    """The bodies that reported to it then report to its own parent."""
    body = selectors.get_body_for_user(request.auth, code, body_code, manage=True)
    services.body_delete(actor=request.auth, body=body)
    return Status(204, None)


# Seats --------------------------------------------------------------------------------------------


@router.post(
    f"{BASE}/bodies/{{body_code}}/seats", response={201: SeatOut, **WRITE}, summary="Add a seat (coordinator)"
)
def seat_new(request, code: UUID, body_code: UUID, payload: SeatIn):
    """A partner (active or invited) and optionally a person (an active member through that partner)."""
    user = request.auth
    body = selectors.get_body_for_user(user, code, body_code, manage=True)
    partnership = body.partnership
    partner = selectors.get_structure_partner_for_user(user, partnership, payload.partner)
    seat = services.seat_create(
        actor=user,
        body=body,
        partner=partner,
        person=_person(user, partnership, payload.person),
        role_title=payload.role_title,
        mandate=payload.mandate,
        hours_per_month=payload.hours_per_month,
    )
    return Status(201, _seat_out(user, partnership, seat.code))


@router.patch(
    f"{BASE}/seats/{{seat_code}}", response={200: SeatOut, **WRITE}, summary="Change a seat (coordinator)"
)
def seat_edit(request, code: UUID, seat_code: UUID, payload: SeatPatch):
    user = request.auth
    seat = selectors.get_seat_for_user(user, code, seat_code, manage=True)
    partnership = seat.body.partnership
    changes = payload.dict(exclude_unset=True)
    if "partner" in changes:
        if changes["partner"] is None:
            raise ValidationError({"partner": _("A seat needs a partner.")})
        changes["partner"] = selectors.get_structure_partner_for_user(user, partnership, changes["partner"])
    if "person" in changes:
        changes["person"] = _person(user, partnership, changes["person"])
    services.seat_update(actor=user, seat=seat, **changes)
    return _seat_out(user, partnership, seat.code)


@router.delete(
    f"{BASE}/seats/{{seat_code}}", response={204: None, **WRITE}, summary="Remove a seat (coordinator)"
)
def seat_remove(request, code: UUID, seat_code: UUID):
    seat = selectors.get_seat_for_user(request.auth, code, seat_code, manage=True)
    services.seat_delete(actor=request.auth, seat=seat)
    return Status(204, None)


# Tasks and RACI -----------------------------------------------------------------------------------


@router.get(
    f"{BASE}/tasks", response=list[TaskOut], summary="The task table: tasks with their RACI assignments"
)
@paginate(LimitOffsetPagination)
def task_index(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return selectors.task_list(user=request.auth, partnership=partnership)


@router.post(f"{BASE}/tasks", response={201: TaskOut, **WRITE}, summary="Add a task (coordinator)")
def task_new(request, code: UUID, payload: TaskIn):
    user = request.auth
    partnership = get_partnership_for_user(user, code, manage=True)
    task = services.task_create(
        actor=user,
        partnership=partnership,
        title=payload.title,
        description=payload.description,
        position=payload.position,
    )
    return Status(201, _task_out(user, partnership, task.code))


@router.patch(
    f"{BASE}/tasks/{{task_code}}", response={200: TaskOut, **WRITE}, summary="Change a task (coordinator)"
)
def task_edit(request, code: UUID, task_code: UUID, payload: TaskPatch):
    user = request.auth
    task = selectors.get_task_for_user(user, code, task_code, manage=True)
    services.task_update(actor=user, task=task, **payload.dict(exclude_unset=True))
    return _task_out(user, task.partnership, task.code)


@router.delete(
    f"{BASE}/tasks/{{task_code}}", response={204: None, **WRITE}, summary="Remove a task (coordinator)"
)
def task_remove(request, code: UUID, task_code: UUID):
    task = selectors.get_task_for_user(request.auth, code, task_code, manage=True)
    services.task_delete(actor=request.auth, task=task)
    return Status(204, None)


@router.put(
    f"{BASE}/tasks/{{task_code}}/assignments/{{partner_code}}",
    response={200: AssignmentResult, **WRITE},
    summary="Set a partner's RACI role in a task, or remove it with null (coordinator)",
)
def assignment_put(request, code: UUID, task_code: UUID, partner_code: UUID, payload: AssignmentIn):
    """At most one partner is Accountable for a task: a second one answers 422 naming the task."""
    user = request.auth
    task = selectors.get_task_for_user(user, code, task_code, manage=True)
    partner = selectors.get_structure_partner_for_user(user, task.partnership, partner_code)
    services.assignment_set(actor=user, task=task, partner=partner, raci=payload.raci)
    return {"task": task.code, "partner": partner.code, "raci": payload.raci}


# Exports ------------------------------------------------------------------------------------------


def download(*, user, partnership, kind: str) -> HttpResponse:
    """An export as a file download, recorded in the audit trail (used by the pages as well)."""
    export = selectors.structure_export(user=user, partnership=partnership, kind=kind)
    services.structure_record_export(
        actor=user, partnership=partnership, kind=kind, fmt=export.fmt, rows=export.rows
    )
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response


@router.get(
    f"{BASE}/organogram.svg",
    response={200: None, **READ},
    summary="The organogram as an SVG file",
    openapi_extra={"responses": {200: {"content": {"image/svg+xml": {}}, "description": "SVG file"}}},
)
def organogram_file(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return download(user=request.auth, partnership=partnership, kind="organogram")


@router.get(
    f"{BASE}/tasks.csv",
    response={200: None, **READ},
    summary="The task table as CSV",
    openapi_extra={"responses": {200: {"content": {"text/csv": {}}, "description": "CSV file"}}},
)
def tasks_file(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return download(user=request.auth, partnership=partnership, kind="tasks")


@router.get(
    f"{BASE}/seats.csv",
    response={200: None, **READ},
    summary="Who sits where (the seat list) as CSV",
    openapi_extra={"responses": {200: {"content": {"text/csv": {}}, "description": "CSV file"}}},
)
def seats_file(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return download(user=request.auth, partnership=partnership, kind="seats")
