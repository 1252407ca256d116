"""Writes for the structure area of formation: bodies, seats, tasks and their RACI assignments.

Coordinators manage the structure. Every service is keyword-only and atomic, validates with messages
naming the field, re-checks that the actor still manages the partnership, and writes an audit event
(``formation.body.*``, ``formation.seat.*``, ``formation.task.*``, ``formation.assignment.changed``)
in the same transaction. Exports are disclosures: ``structure_record_export`` audits them.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.audit.services import audit_record, audit_record_changes
from safepact.formation.models import Body, Level, Raci, Seat, Task, TaskAssignment
from safepact.partnerships.models import Membership, MembershipStatus, Partner, Partnership, PartnerStatus
from safepact.partnerships.selectors import get_partnership_for_user

MAX_SEAT_HOURS = Decimal(200)
ASSIGNABLE_STATUSES = (PartnerStatus.ACTIVE, PartnerStatus.INVITED)
EXPORT_KINDS = ("organogram", "tasks", "seats")


def register() -> None:
    from safepact.audit.selectors import register_action_labels

    register_action_labels(
        {
            "formation.body.created": gettext_lazy("Structure: body added"),
            "formation.body.updated": gettext_lazy("Structure: body changed"),
            "formation.body.deleted": gettext_lazy("Structure: body removed"),
            "formation.seat.created": gettext_lazy("Structure: seat added"),
            "formation.seat.updated": gettext_lazy("Structure: seat changed"),
            "formation.seat.deleted": gettext_lazy("Structure: seat removed"),
            "formation.task.created": gettext_lazy("Task table: task added"),
            "formation.task.updated": gettext_lazy("Task table: task changed"),
            "formation.task.deleted": gettext_lazy("Task table: task removed"),
            "formation.assignment.changed": gettext_lazy("Task table: responsibility changed"),
            "formation.structure.exported": gettext_lazy("Structure exported"),
        },
        {
            "formation.body": gettext_lazy("Structure: bodies"),
            "formation.seat": gettext_lazy("Structure: seats"),
            "formation.task": gettext_lazy("Task table: tasks"),
            "formation.assignment": gettext_lazy("Task table: responsibilities"),
            "formation.structure": gettext_lazy("Structure: exports"),
        },
    )


def _recheck(actor, partnership: Partnership) -> None:
    """Inside the transaction: the actor must (still) coordinate this partnership (404/403 otherwise)."""
    get_partnership_for_user(actor, partnership.code, manage=True)


def _clean_text(value, field: str, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: _("This field is required.")})
    return text


def _as_full_clean(obj, *, exclude=()) -> None:
    """``full_clean`` without the database constraint checks (they are validated with clear messages here)."""
    obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)


# Bodies -------------------------------------------------------------------------------------------


def _body_snapshot(body: Body) -> dict:
    return {
        "name": body.name,
        "level": body.level,
        "parent": str(body.parent.code) if body.parent_id else None,
        "mandate": body.mandate,
        "position": body.position,
    }


def _check_parent(body: Body | None, parent: Body | None, partnership: Partnership) -> None:
    if parent is None:
        return
    if parent.partnership_id != partnership.pk:
        raise ValidationError({"parent": _("Choose a body of this partnership.")})
    if body is None or body.pk is None:
        return
    # Walk up from the new parent: meeting the body itself would close a loop.
    seen: set[int] = set()
    current: Body | None = parent
    while current is not None:
        if current.pk == body.pk:
            raise ValidationError(
                {
                    "parent": _(
                        "%(body)s cannot report to %(parent)s: %(parent)s already reports to %(body)s "
                        "(directly or through other bodies)."
                    )
                    % {"body": body.name, "parent": parent.name}
                }
            )
        if current.pk in seen:  # an older loop in the data; stop walking
            break
        seen.add(current.pk)
        current = Body.objects.filter(pk=current.parent_id).only("pk", "parent_id", "name").first()


def _next_position(queryset) -> int:
    top = queryset.aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


@transaction.atomic
def body_create(
    *,
    actor,
    partnership: Partnership,
    name: str,
    level: str,
    parent: Body | None = None,
    mandate: str = "",
    position: int | None = None,
) -> Body:
    _recheck(actor, partnership)
    name = _clean_text(name, "name", required=True)
    if level not in Level.values:
        raise ValidationError({"level": _("Choose board, operational or stakeholder.")})
    _check_parent(None, parent, partnership)
    if position is None:
        position = _next_position(Body.objects.filter(partnership=partnership, level=level))
    body = Body(
        partnership=partnership,
        name=name,
        level=level,
        parent=parent,
        mandate=_clean_text(mandate, "mandate"),
        position=position,
    )
    _as_full_clean(body, exclude=["partnership", "parent"])
    body.save()
    audit_record(
        actor=actor,
        action="formation.body.created",
        target=body,
        partnership=partnership,
        after=_body_snapshot(body),
    )
    return body


BODY_FIELDS = ("name", "level", "parent", "mandate", "position")


@transaction.atomic
def body_update(*, actor, body: Body, **changes) -> Body:
    """Change ``name``, ``level``, ``parent`` (``None``: reports to no one), ``mandate`` or ``position``."""
    unknown = set(changes) - set(BODY_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed.")})
    partnership = body.partnership
    _recheck(actor, partnership)
    body = Body.objects.select_for_update(of=("self",)).select_related("parent").get(pk=body.pk)
    before = _body_snapshot(body)
    if "name" in changes:
        body.name = _clean_text(changes["name"], "name", required=True)
    if "level" in changes:
        if changes["level"] not in Level.values:
            raise ValidationError({"level": _("Choose board, operational or stakeholder.")})
        body.level = changes["level"]
    if "parent" in changes:
        parent = changes["parent"]
        if parent is not None and parent.pk == body.pk:
            raise ValidationError({"parent": _("A body cannot report to itself.")})
        _check_parent(body, parent, partnership)
        body.parent = parent
    if "mandate" in changes:
        body.mandate = _clean_text(changes["mandate"], "mandate")
    if "position" in changes and changes["position"] is not None:
        body.position = changes["position"]
    _as_full_clean(body, exclude=["partnership", "parent"])
    body.save()
    after = _body_snapshot(body)
    audit_record_changes(
        actor=actor,
        action="formation.body.updated",
        target=body,
        partnership=partnership,
        before=before,
        after=after,
    )
    body.partnership = partnership
    return body


@transaction.atomic
def body_delete(*, actor, body: Body) -> None:
    """Remove a body and its seats; the bodies that reported to it now report to its own parent."""
    partnership = body.partnership
    _recheck(actor, partnership)
    body = Body.objects.select_related("parent").get(pk=body.pk)
    snapshot = _body_snapshot(body)
    snapshot["seats"] = Seat.objects.filter(body=body).count()
    children = list(Body.objects.filter(parent=body).values_list("code", flat=True))
    snapshot["children"] = [str(code) for code in children]
    Body.objects.filter(parent=body).update(parent=body.parent)
    audit_record(
        actor=actor,
        action="formation.body.deleted",
        target=body,
        partnership=partnership,
        before=snapshot,
    )
    body.delete()


# Seats --------------------------------------------------------------------------------------------


def _seat_snapshot(seat: Seat) -> dict:
    return {
        "body": str(seat.body.code),
        "partner": str(seat.partner.code),
        "organisation": seat.partner.organisation.name,
        "person": str(seat.person.code) if seat.person_id else None,
        "role_title": seat.role_title,
        "mandate": seat.mandate,
        "hours_per_month": str(seat.hours_per_month),
    }


def _check_partner(partner: Partner, partnership: Partnership) -> None:
    if partner is None or partner.partnership_id != partnership.pk:
        raise ValidationError({"partner": _("Choose a partner of this partnership.")})
    if partner.status not in ASSIGNABLE_STATUSES:
        raise ValidationError(
            {
                "partner": _(
                    "%(organisation)s is %(status)s: only active or invited partners can hold a seat."
                )
                % {"organisation": partner.organisation.name, "status": partner.get_status_display().lower()}
            }
        )


def _check_person(person, partner: Partner) -> None:
    if person is None:
        return
    active = Membership.objects.filter(partner=partner, user=person, status=MembershipStatus.ACTIVE).exists()
    if not active:
        raise ValidationError(
            {
                "person": _("%(person)s is not an active member of this partnership for %(organisation)s.")
                % {"person": person.full_name or person.email, "organisation": partner.organisation.name}
            }
        )


def _clean_hours(value) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"hours_per_month": _("Enter a number of hours.")}) from None
    if not hours.is_finite() or hours < 0 or hours > MAX_SEAT_HOURS:
        raise ValidationError(
            {"hours_per_month": _("Enter between 0 and %(max)s hours per month.") % {"max": MAX_SEAT_HOURS}}
        )
    if hours != hours.quantize(Decimal("0.1")):
        raise ValidationError({"hours_per_month": _("Use at most one decimal (e.g. 7.5).")})
    return hours.quantize(Decimal("0.1"))


@transaction.atomic
def seat_create(
    *,
    actor,
    body: Body,
    partner: Partner,
    role_title: str,
    person=None,
    mandate: str = "",
    hours_per_month=0,
) -> Seat:
    partnership = body.partnership
    _recheck(actor, partnership)
    _check_partner(partner, partnership)
    role_title = _clean_text(role_title, "role_title", required=True)
    hours = _clean_hours(hours_per_month)
    _check_person(person, partner)
    seat = Seat(
        body=body,
        partner=partner,
        person=person,
        role_title=role_title,
        mandate=_clean_text(mandate, "mandate"),
        hours_per_month=hours,
    )
    _as_full_clean(seat, exclude=["body", "partner", "person"])
    seat.save()
    audit_record(
        actor=actor,
        action="formation.seat.created",
        target=seat,
        partnership=partnership,
        after=_seat_snapshot(seat),
    )
    return seat


SEAT_FIELDS = ("partner", "person", "role_title", "mandate", "hours_per_month")


@transaction.atomic
def seat_update(*, actor, seat: Seat, **changes) -> Seat:
    """Change ``partner``, ``person`` (``None``: no one named), ``role_title``, ``mandate`` or hours."""
    unknown = set(changes) - set(SEAT_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed.")})
    partnership = seat.body.partnership
    _recheck(actor, partnership)
    seat = (
        Seat.objects.select_for_update(of=("self",))
        .select_related("body", "partner__organisation", "person")
        .get(pk=seat.pk)
    )
    before = _seat_snapshot(seat)
    if "partner" in changes:
        _check_partner(changes["partner"], partnership)
        seat.partner = changes["partner"]
    if "role_title" in changes:
        seat.role_title = _clean_text(changes["role_title"], "role_title", required=True)
    if "mandate" in changes:
        seat.mandate = _clean_text(changes["mandate"], "mandate")
    if "hours_per_month" in changes:
        seat.hours_per_month = _clean_hours(changes["hours_per_month"])
    if "person" in changes:
        seat.person = changes["person"]
    # Whoever sits must be a member through the (possibly new) partner.
    _check_person(seat.person, seat.partner)
    _as_full_clean(seat, exclude=["body", "partner", "person"])
    seat.save()
    after = _seat_snapshot(seat)
    audit_record_changes(
        actor=actor,
        action="formation.seat.updated",
        target=seat,
        partnership=partnership,
        before=before,
        after=after,
    )
    seat.body.partnership = partnership
    return seat


@transaction.atomic
def seat_delete(*, actor, seat: Seat) -> None:
    partnership = seat.body.partnership
    _recheck(actor, partnership)
    seat = Seat.objects.select_related("body", "partner__organisation", "person").get(pk=seat.pk)
    audit_record(
        actor=actor,
        action="formation.seat.deleted",
        target=seat,
        partnership=partnership,
        before=_seat_snapshot(seat),
    )
    seat.delete()


# Tasks and RACI ------------------------------------------------------------------------------------


def _task_snapshot(task: Task) -> dict:
    return {"title": task.title, "description": task.description, "position": task.position}


@transaction.atomic
def task_create(
    *, actor, partnership: Partnership, title: str, description: str = "", position: int | None = None
) -> Task:
    _recheck(actor, partnership)
    title = _clean_text(title, "title", required=True)
    if position is None:
        position = _next_position(Task.objects.filter(partnership=partnership))
    task = Task(
        partnership=partnership,
        title=title,
        description=_clean_text(description, "description"),
        position=position,
    )
    _as_full_clean(task, exclude=["partnership"])
    task.save()
    audit_record(
        actor=actor,
        action="formation.task.created",
        target=task,
        partnership=partnership,
        after=_task_snapshot(task),
    )
    return task


TASK_FIELDS = ("title", "description", "position")


@transaction.atomic
def task_update(*, actor, task: Task, **changes) -> Task:
    unknown = set(changes) - set(TASK_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed.")})
    partnership = task.partnership
    _recheck(actor, partnership)
    task = Task.objects.select_for_update().get(pk=task.pk)
    before = _task_snapshot(task)
    if "title" in changes:
        task.title = _clean_text(changes["title"], "title", required=True)
    if "description" in changes:
        task.description = _clean_text(changes["description"], "description")
    if "position" in changes and changes["position"] is not None:
        task.position = changes["position"]
    _as_full_clean(task, exclude=["partnership"])
    task.save()
    after = _task_snapshot(task)
    audit_record_changes(
        actor=actor,
        action="formation.task.updated",
        target=task,
        partnership=partnership,
        before=before,
        after=after,
    )
    task.partnership = partnership
    return task


@transaction.atomic
def task_delete(*, actor, task: Task) -> None:
    partnership = task.partnership
    _recheck(actor, partnership)
    snapshot = _task_snapshot(task)
    snapshot["assignments"] = {
        str(code): raci
        for code, raci in TaskAssignment.objects.filter(task=task).values_list("partner__code", "raci")
    }
    audit_record(
        actor=actor, action="formation.task.deleted", target=task, partnership=partnership, before=snapshot
    )
    task.delete()


def _accountable_conflict(task: Task, partner: Partner) -> ValidationError:
    other = (
        TaskAssignment.objects.filter(task=task, raci=Raci.ACCOUNTABLE)
        .exclude(partner=partner)
        .select_related("partner__organisation")
        .first()
    )
    params = {"task": task.title, "other": other.partner.organisation.name if other else "?"}
    message = _(
        "Task %(task)s already has an accountable partner (%(other)s): a task has at most one. "
        "Make %(other)s responsible, consulted or informed first."
    )
    return ValidationError({"raci": ValidationError(message % params, code="one_accountable")})


@transaction.atomic
def assignment_set(*, actor, task: Task, partner: Partner, raci: str | None) -> TaskAssignment | None:
    """Give ``partner`` the role ``raci`` (R, A, C or I) in ``task``; ``None`` or "" takes it away.

    A task has at most one Accountable partner (a database constraint): a second one is refused
    with a message naming the task.
    """
    partnership = task.partnership
    _recheck(actor, partnership)
    raci = (raci or "").strip().upper() or None
    if raci is not None and raci not in Raci.values:
        raise ValidationError({"raci": _("Choose R, A, C, I or nothing.")})
    if partner.partnership_id != partnership.pk:
        raise ValidationError({"partner": _("Choose a partner of this partnership.")})
    current = TaskAssignment.objects.select_for_update().filter(task=task, partner=partner).first()
    before = current.raci if current else None
    if before == raci:
        return current
    if raci is not None and partner.status not in ASSIGNABLE_STATUSES:
        raise ValidationError(
            {
                "partner": _("%(organisation)s is %(status)s: only active or invited partners take on tasks.")
                % {"organisation": partner.organisation.name, "status": partner.get_status_display().lower()}
            }
        )
    result = None
    if raci is None:
        current.delete()
    else:
        try:
            with transaction.atomic():
                if current is None:
                    result = TaskAssignment.objects.create(task=task, partner=partner, raci=raci)
                else:
                    current.raci = raci
                    current.save(update_fields=["raci"])
                    result = current
        except IntegrityError:
            if raci == Raci.ACCOUNTABLE:
                raise _accountable_conflict(task, partner) from None
            raise ValidationError(
                {"raci": _("Task %(task)s was changed at the same time; try again.") % {"task": task.title}}
            ) from None
    audit_record(
        actor=actor,
        action="formation.assignment.changed",
        target=task,
        partnership=partnership,
        before={"partner": str(partner.code), "organisation": partner.organisation.name, "raci": before},
        after={"partner": str(partner.code), "organisation": partner.organisation.name, "raci": raci},
    )
    return result


@transaction.atomic
def assignment_grid_save(*, actor, partnership: Partnership, changes: list[tuple[Task, Partner, str | None]]):
    """Save several cells of the task table at once, all or nothing.

    Cells that take an Accountable role away are saved first, so moving "A" from one partner to
    another in one submission works. Errors are collected per cell: ``{(task, partner): message}``.
    """
    ordered = sorted(changes, key=lambda change: (change[2] or "") == Raci.ACCOUNTABLE)
    errors = {}
    for task, partner, raci in ordered:
        try:
            assignment_set(actor=actor, task=task, partner=partner, raci=raci)
        except ValidationError as exc:
            messages = [m for field_errors in exc.message_dict.values() for m in field_errors]
            errors[(task.code, partner.code)] = " ".join(messages)
    if errors:
        transaction.set_rollback(True)
    return errors


# Exports ------------------------------------------------------------------------------------------


@transaction.atomic
def structure_record_export(*, actor, partnership: Partnership, kind: str, fmt: str, rows: int) -> None:
    """Record a download of the organogram, the task table or the seat list (a disclosure)."""
    if kind not in EXPORT_KINDS:
        raise ValidationError({"kind": _("Unknown export.")})
    get_partnership_for_user(actor, partnership.code)
    audit_record(
        actor=actor,
        action="formation.structure.exported",
        partnership=partnership,
        after={"export": kind, "format": fmt, "rows": rows},
    )
