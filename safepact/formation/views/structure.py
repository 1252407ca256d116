"""Pages for the structure area of formation: the structure (organogram, bodies and seats, time
commitment) and the task table (tasks by partners, RACI).

Thin: fetch through the access helpers (404 outsider, 403 without the role), parse with a form,
call a service, render. Everyone in the partnership reads; coordinators manage. The management
forms are plain forms (post, redirect); a failed one re-renders the page with the form open and its
errors linked to the fields (status 400). Each cell of the task table saves on its own with HTMX,
and the whole table saves with one plain submit without JavaScript.
"""

from collections import OrderedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from safepact.formation.api.structure import download
from safepact.formation.forms.structure import RACI_CHOICES, BodyForm, CellForm, SeatForm, TaskForm
from safepact.formation.models import Raci
from safepact.formation.selectors import structure as selectors
from safepact.formation.services import structure as services
from safepact.partnerships.forms import apply_service_errors
from safepact.partnerships.permissions import can_manage
from safepact.partnerships.selectors import get_partnership_for_user

RACI_LABELS = dict(Raci.choices)


def _structure_url(code, anchor: str = "") -> str:
    url = reverse("formation:structure", kwargs={"code": code})
    return f"{url}#{anchor}" if anchor else url


def _tasks_url(code, anchor: str = "") -> str:
    url = reverse("formation:structure_tasks", kwargs={"code": code})
    return f"{url}#{anchor}" if anchor else url


# The structure page ----------------------------------------------------------------------------


class _Choices:
    """Choices for the management forms, loaded once per page."""

    def __init__(self, user, partnership, bodies):
        self.bodies = bodies
        self.body_map = OrderedDict((str(body.code), body) for body in bodies)
        self.partners = OrderedDict(
            (str(p.code), p) for p in selectors.assignable_partners(user=user, partnership=partnership)
        )
        groups: OrderedDict[str, list] = OrderedDict()
        self.people = {}
        for membership in selectors.seat_person_choices(user=user, partnership=partnership):
            person = membership.user
            self.people[str(person.code)] = person
            groups.setdefault(membership.partner.organisation.name, []).append(
                (str(person.code), person.full_name or person.email)
            )
        self.person_groups = list(groups.items())

    def parents_for(self, body=None) -> OrderedDict:
        if body is None:
            return self.body_map
        excluded = selectors.descendants_of(body, self.bodies)
        return OrderedDict((code, b) for code, b in self.body_map.items() if b.pk not in excluded)

    def body_form(self, body=None, data=None, prefix=None):
        initial = None
        if body is not None:
            initial = {
                "name": body.name,
                "level": body.level,
                "parent": str(body.parent.code) if body.parent_id else "",
                "mandate": body.mandate,
                "position": body.position,
            }
        return BodyForm(
            data,
            prefix=prefix or (f"body-{body.code}" if body else "body-new"),
            initial=initial,
            parents=self.parents_for(body),
        )

    def seat_form(self, body=None, seat=None, data=None):
        initial = None
        if seat is not None:
            initial = {
                "partner": str(seat.partner.code),
                "person": str(seat.person.code) if seat.person_id else "",
                "role_title": seat.role_title,
                "mandate": seat.mandate,
                "hours_per_month": seat.hours_per_month,
            }
        prefix = f"seat-{seat.code}" if seat is not None else f"seat-new-{body.code}"
        return SeatForm(
            data,
            prefix=prefix,
            initial=initial,
            partners=self.partners,
            people=self.people,
            person_groups=self.person_groups,
        )


def _render_structure(request, partnership, *, failed: tuple | None = None, status: int = 200):
    """The structure page; ``failed`` = (kind, code, bound form) re-opens that form with its errors."""
    user = request.user
    structure = selectors.structure_overview(user=user, partnership=partnership)
    picture = selectors.organogram_svg(structure, partnership=partnership)
    is_coordinator = can_manage(partnership.membership)
    failed_kind, failed_code, failed_form = failed or (None, None, None)
    context = {
        "partnership": partnership,
        "membership": partnership.membership,
        "is_coordinator": is_coordinator,
        "structure": structure,
        "organogram": picture.render(),
        "failed_kind": failed_kind,
    }
    if is_coordinator:
        choices = _Choices(user, partnership, structure.bodies)
        manage = []
        for body in structure.bodies:
            code = str(body.code)
            seats = []
            for seat in body.seats.all():
                mine = failed_kind == "seat" and failed_code == str(seat.code)
                seats.append(
                    {
                        "seat": seat,
                        "form": failed_form if mine else choices.seat_form(seat=seat),
                        "open": mine,
                    }
                )
            body_failed = failed_kind == "body" and failed_code == code
            seat_failed = failed_kind == "seat_new" and failed_code == code
            manage.append(
                {
                    "body": body,
                    "form": failed_form if body_failed else choices.body_form(body),
                    "open": body_failed,
                    "seat_form": failed_form if seat_failed else choices.seat_form(body=body),
                    "seat_open": seat_failed,
                    "seats": seats,
                }
            )
        context.update(
            {
                "manage": manage,
                "new_body_form": failed_form if failed_kind == "body_new" else choices.body_form(),
                "partner_count": len(choices.partners),
            }
        )
    return render(request, "formation/structure/structure.html", context, status=status)


@login_required
@require_GET
def structure_page(request, code):
    return _render_structure(request, get_partnership_for_user(request.user, code))


def _choices_for(request, partnership):
    return _Choices(
        request.user, partnership, list(selectors.body_list(user=request.user, partnership=partnership))
    )


@login_required
@require_POST
def body_new(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    form = _choices_for(request, partnership).body_form(data=request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            body = services.body_create(
                actor=request.user,
                partnership=partnership,
                name=data["name"],
                level=data["level"],
                parent=data["parent"],
                mandate=data["mandate"],
                position=data["position"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s has been added to the structure.") % {"name": body.name})
            return redirect(_structure_url(code, f"manage-{body.code}"))
    return _render_structure(request, partnership, failed=("body_new", "", form), status=400)


@login_required
@require_POST
def body_edit(request, code, body_code):
    body = selectors.get_body_for_user(request.user, code, body_code, manage=True)
    partnership = body.partnership
    form = _choices_for(request, partnership).body_form(body, data=request.POST)
    if form.is_valid():
        data = form.cleaned_data
        changes = {name: data[name] for name in ("name", "level", "parent", "mandate")}
        if data["position"] is not None:
            changes["position"] = data["position"]
        try:
            services.body_update(actor=request.user, body=body, **changes)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s has been saved.") % {"name": data["name"]})
            return redirect(_structure_url(code, f"manage-{body.code}"))
    return _render_structure(request, partnership, failed=("body", str(body.code), form), status=400)


@login_required
@require_POST
def body_delete(request, code, body_code):
    body = selectors.get_body_for_user(request.user, code, body_code, manage=True)
    services.body_delete(actor=request.user, body=body)
    messages.success(request, _("%(name)s has been removed from the structure.") % {"name": body.name})
    return redirect(_structure_url(code, "manage"))


@login_required
@require_POST
def seat_new(request, code, body_code):
    body = selectors.get_body_for_user(request.user, code, body_code, manage=True)
    partnership = body.partnership
    form = _choices_for(request, partnership).seat_form(body=body, data=request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.seat_create(
                actor=request.user,
                body=body,
                partner=data["partner"],
                person=data["person"],
                role_title=data["role_title"],
                mandate=data["mandate"],
                hours_per_month=data["hours_per_month"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(role)s has been added to %(body)s.") % {"role": data["role_title"], "body": body.name},
            )
            return redirect(_structure_url(code, f"manage-{body.code}"))
    return _render_structure(request, partnership, failed=("seat_new", str(body.code), form), status=400)


@login_required
@require_POST
def seat_edit(request, code, seat_code):
    seat = selectors.get_seat_for_user(request.user, code, seat_code, manage=True)
    partnership = seat.body.partnership
    form = _choices_for(request, partnership).seat_form(seat=seat, data=request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.seat_update(
                actor=request.user,
                seat=seat,
                **{
                    name: data[name]
                    for name in ("partner", "person", "role_title", "mandate", "hours_per_month")
                },
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(role)s has been saved.") % {"role": data["role_title"]})
            return redirect(_structure_url(code, f"manage-{seat.body.code}"))
    return _render_structure(request, partnership, failed=("seat", str(seat.code), form), status=400)


@login_required
@require_POST
def seat_delete(request, code, seat_code):
    seat = selectors.get_seat_for_user(request.user, code, seat_code, manage=True)
    services.seat_delete(actor=request.user, seat=seat)
    messages.success(
        request,
        _("%(role)s has been removed from %(body)s.") % {"role": seat.role_title, "body": seat.body.name},
    )
    return redirect(_structure_url(code, f"manage-{seat.body.code}"))


# Downloads (recorded in the audit trail) --------------------------------------------------------


@login_required
@require_GET
def organogram_download(request, code):
    partnership = get_partnership_for_user(request.user, code)
    return download(user=request.user, partnership=partnership, kind="organogram")


@login_required
@require_GET
def seats_download(request, code):
    partnership = get_partnership_for_user(request.user, code)
    return download(user=request.user, partnership=partnership, kind="seats")


@login_required
@require_GET
def tasks_download(request, code):
    partnership = get_partnership_for_user(request.user, code)
    return download(user=request.user, partnership=partnership, kind="tasks")


# The task table ---------------------------------------------------------------------------------


def _cell_name(task, partner) -> str:
    return f"cell-{task.code}-{partner.code}"


def _task_context(request, partnership, *, table=None, submitted=None, cell_errors=None, failed=None):
    table = table or selectors.task_table(user=request.user, partnership=partnership)
    is_coordinator = can_manage(partnership.membership)
    submitted = submitted or {}
    cell_errors = cell_errors or {}
    failed_kind, failed_code, failed_form = failed or (None, None, None)
    rows = []
    for row in table.rows:
        cells = []
        for partner, raci in row.cells:
            key = (row.task.code, partner.code)
            shown = submitted.get(key, raci)
            cells.append(
                {
                    "partner": partner,
                    "raci": shown,
                    "label": RACI_LABELS.get(shown, ""),
                    "name": _cell_name(row.task, partner),
                    "error": cell_errors.get(key, ""),
                }
            )
        task_failed = failed_kind == "task" and failed_code == str(row.task.code)
        if task_failed:
            form = failed_form
        elif is_coordinator:
            initial = {
                "title": row.task.title,
                "description": row.task.description,
                "position": row.task.position,
            }
            form = TaskForm(prefix=f"task-{row.task.code}", initial=initial)
        else:
            form = None
        rows.append({"row": row, "task": row.task, "cells": cells, "form": form, "open": task_failed})
    return {
        "partnership": partnership,
        "membership": partnership.membership,
        "is_coordinator": is_coordinator,
        "table": table,
        "rows": rows,
        "raci_choices": RACI_CHOICES,
        "raci_legend": Raci.choices,
        "new_task_form": (failed_form if failed_kind == "task_new" else TaskForm(prefix="task-new"))
        if is_coordinator
        else None,
        "grid_errors": bool(cell_errors),
    }


@login_required
@require_GET
def tasks_page(request, code):
    partnership = get_partnership_for_user(request.user, code)
    return render(request, "formation/structure/tasks.html", _task_context(request, partnership))


@login_required
@require_POST
def task_new(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    form = TaskForm(request.POST, prefix="task-new")
    if form.is_valid():
        data = form.cleaned_data
        try:
            task = services.task_create(
                actor=request.user,
                partnership=partnership,
                title=data["title"],
                description=data["description"],
                position=data["position"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The task %(task)s has been added.") % {"task": task.title})
            return redirect(_tasks_url(code, "task-table"))
    context = _task_context(request, partnership, failed=("task_new", "", form))
    return render(request, "formation/structure/tasks.html", context, status=400)


@login_required
@require_POST
def task_edit(request, code, task_code):
    task = selectors.get_task_for_user(request.user, code, task_code, manage=True)
    form = TaskForm(request.POST, prefix=f"task-{task.code}")
    if form.is_valid():
        data = form.cleaned_data
        changes = {"title": data["title"], "description": data["description"]}
        if data["position"] is not None:
            changes["position"] = data["position"]
        try:
            services.task_update(actor=request.user, task=task, **changes)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The task %(task)s has been saved.") % {"task": data["title"]})
            return redirect(_tasks_url(code, f"manage-task-{task.code}"))
    context = _task_context(request, task.partnership, failed=("task", str(task.code), form))
    return render(request, "formation/structure/tasks.html", context, status=400)


@login_required
@require_POST
def task_delete(request, code, task_code):
    task = selectors.get_task_for_user(request.user, code, task_code, manage=True)
    services.task_delete(actor=request.user, task=task)
    messages.success(request, _("The task %(task)s has been removed.") % {"task": task.title})
    return redirect(_tasks_url(code, "manage-tasks"))


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(m for errors in exc.message_dict.values() for m in errors)
    return " ".join(exc.messages)


@login_required
@require_POST
def task_cell(request, code, task_code, partner_code):
    """Save one cell. HTMX gets the cell back (with the warnings, out of band); a plain post a redirect."""
    task = selectors.get_task_for_user(request.user, code, task_code, manage=True)
    partnership = task.partnership
    partner = selectors.get_structure_partner_for_user(request.user, partnership, partner_code)
    form = CellForm({"raci": request.POST.get(_cell_name(task, partner), request.POST.get("raci", ""))})
    error = ""
    if not form.is_valid():
        error = _("%(field)s: %(error)s") % {"field": _("Role"), "error": form.errors["raci"][0]}
    else:
        raci = form.cleaned_data["raci"] or None
        try:
            services.assignment_set(actor=request.user, task=task, partner=partner, raci=raci)
        except ValidationError as exc:
            error = _error_text(exc)
    if error:
        status = _("Not saved: %(error)s") % {"error": error}
    else:
        raci = form.cleaned_data["raci"]
        params = {"organisation": partner.organisation.name, "task": task.title}
        if raci:
            params["role"] = RACI_LABELS[raci]
            status = _("Saved: %(organisation)s is %(role)s for %(task)s.") % params
        else:
            status = _("Saved: %(organisation)s has no role in %(task)s.") % params
    if request.htmx:
        context = _task_context(
            request, partnership, cell_errors={(task.code, partner.code): error} if error else None
        )
        context.update(
            {
                "cell": next(
                    cell
                    for row in context["rows"]
                    if row["task"].pk == task.pk
                    for cell in row["cells"]
                    if cell["partner"].pk == partner.pk
                ),
                "cell_row": next(row for row in context["rows"] if row["task"].pk == task.pk),
                "status_message": status,
                "status_error": bool(error),
            }
        )
        return render(request, "formation/structure/_task_cell_response.html", context)
    (messages.error if error else messages.success)(request, status)
    return redirect(_tasks_url(code, "task-table"))


@login_required
@require_POST
def task_grid(request, code):
    """Save the whole table at once (the form without JavaScript): all cells or none."""
    partnership = get_partnership_for_user(request.user, code, manage=True)
    table = selectors.task_table(user=request.user, partnership=partnership)
    changes, submitted, errors = [], {}, {}
    for row in table.rows:
        for partner, current in row.cells:
            name = _cell_name(row.task, partner)
            if name not in request.POST:
                continue
            value = request.POST.get(name, "")
            key = (row.task.code, partner.code)
            submitted[key] = value
            form = CellForm({"raci": value})
            if not form.is_valid():
                errors[key] = form.errors["raci"][0]
            elif value != current:
                row.task.partnership = partnership
                changes.append((row.task, partner, value or None))
    if not errors and changes:
        errors = services.assignment_grid_save(actor=request.user, partnership=partnership, changes=changes)
    if errors:
        context = _task_context(request, partnership, table=table, submitted=submitted, cell_errors=errors)
        messages.error(request, _("The task table was not saved: please correct the cells marked below."))
        return render(request, "formation/structure/tasks.html", context, status=400)
    if changes:
        messages.success(request, _("The task table has been saved."))
    else:
        messages.info(request, _("Nothing changed in the task table."))
    return redirect(_tasks_url(code, "task-table"))


P = "p/<uuid:code>/formation"
urlpatterns: list = [
    path(f"{P}/structure/", structure_page, name="structure"),
    path(f"{P}/structure/bodies/", body_new, name="structure_body_new"),
    path(f"{P}/structure/bodies/<uuid:body_code>/", body_edit, name="structure_body_edit"),
    path(f"{P}/structure/bodies/<uuid:body_code>/delete/", body_delete, name="structure_body_delete"),
    path(f"{P}/structure/bodies/<uuid:body_code>/seats/", seat_new, name="structure_seat_new"),
    path(f"{P}/structure/seats/<uuid:seat_code>/", seat_edit, name="structure_seat_edit"),
    path(f"{P}/structure/seats/<uuid:seat_code>/delete/", seat_delete, name="structure_seat_delete"),
    path(f"{P}/structure/organogram.svg", organogram_download, name="structure_organogram_svg"),
    path(f"{P}/structure/seats.csv", seats_download, name="structure_seats_csv"),
    path(f"{P}/tasks/", tasks_page, name="structure_tasks"),
    path(f"{P}/tasks/new/", task_new, name="structure_task_new"),
    path(f"{P}/tasks/table/", task_grid, name="structure_task_grid"),
    path(f"{P}/tasks/tasks.csv", tasks_download, name="structure_tasks_csv"),
    path(f"{P}/tasks/<uuid:task_code>/", task_edit, name="structure_task_edit"),
    path(f"{P}/tasks/<uuid:task_code>/delete/", task_delete, name="structure_task_delete"),
    path(
        f"{P}/tasks/<uuid:task_code>/assignments/<uuid:partner_code>/",
        task_cell,
        name="structure_task_cell",
    ),
]
