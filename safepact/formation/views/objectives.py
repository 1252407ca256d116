"""Pages for the objectives area of formation: objectives, focus limit, motives, commitments, alignment.

Thin: fetch through an access helper (404 outsider, 403 role), parse with a form, call a service, render.
The alignment matrix is drawn as an SVG picture with an equivalent table beside it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from safepact.formation.forms.objectives import (
    CommitmentsForm,
    FocusLimitForm,
    MotivationForm,
    ObjectiveCreateForm,
    ObjectiveForm,
    ObjectiveMoveForm,
    ObjectiveStatusForm,
)
from safepact.formation.models import Benefit, ObjectiveStatus
from safepact.formation.selectors.objectives import (
    Alignment,
    alignment_matrix,
    commitment_notes_of,
    focus_limit_for,
    get_objective_for_user,
    get_partner_to_speak_for,
    motivation_for,
    objective_list,
    partner_overview,
)
from safepact.formation.services import objectives as services
from safepact.lib.svg import COLOURS, Svg
from safepact.partnerships.forms import apply_service_errors, error_summary
from safepact.partnerships.permissions import can_manage
from safepact.partnerships.selectors import get_partnership_for_user


def _page_url(code, anchor: str = "") -> str:
    url = reverse("formation:objectives", kwargs={"code": code})
    return f"{url}#{anchor}" if anchor else url


def _flash_warnings(request, warnings) -> None:
    for warning in warnings:
        messages.warning(request, warning.message)


def _short(text: str, length: int = 28) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


# The alignment picture -----------------------------------------------------------------------------------

CELL = 34
LABEL_WIDTH = 230
HEADER_HEIGHT = 150
FOOTER_HEIGHT = 40


def alignment_picture(alignment: Alignment):
    """Partners (rows) by objectives (columns): committed = filled square with a check mark; not = open
    square with a dash. Each cell carries ``data-partner``, ``data-objective`` and ``data-committed``."""
    columns, rows = len(alignment.objectives), len(alignment.rows)
    width = LABEL_WIDTH + max(columns, 1) * CELL + 150  # room for the slanted column labels
    height = HEADER_HEIGHT + max(rows, 1) * CELL + FOOTER_HEIGHT
    picture = Svg(
        width=width,
        height=height,
        title=_("Alignment of partners and objectives"),
        desc=_(
            "A grid of %(partners)s partners (rows) and %(objectives)s active objectives (columns, by "
            "priority). A filled square with a check mark means the partner commits to the objective; an "
            "open square with a dash means it does not. The table below gives the same information."
        )
        % {"partners": rows, "objectives": columns},
        css_class="picture alignment-picture",
    )
    for j, objective in enumerate(alignment.objectives):
        x = LABEL_WIDTH + j * CELL + CELL / 2
        y = HEADER_HEIGHT - 8
        picture.text(
            x,
            y,
            _("%(priority)s. %(title)s") % {"priority": objective.priority, "title": _short(objective.title)},
            transform=f"rotate(-45 {x:g} {y:g})",
            fill=COLOURS["text"],
            css_class="column-label",
            **{"data-objective": objective.code},
        )
    for i, row in enumerate(alignment.rows):
        y = HEADER_HEIGHT + i * CELL
        picture.text(
            LABEL_WIDTH - 10,
            y + CELL / 2 + 5,
            _short(row.partner.organisation.name, 30),
            text_anchor="end",
            fill=COLOURS["text"],
            css_class="row-label",
            **{"data-partner": row.partner.code},
        )
        for j, cell in enumerate(row.cells):
            x = LABEL_WIDTH + j * CELL
            params = {"partner": row.partner.organisation.name, "objective": cell.objective.title}
            picture.group_start(
                css_class="cell committed" if cell.committed else "cell",
                **{
                    "data-partner": row.partner.code,
                    "data-objective": cell.objective.code,
                    "data-committed": "true" if cell.committed else "false",
                },
            )
            picture.titled(
                _("%(partner)s commits to “%(objective)s”") % params
                if cell.committed
                else _("%(partner)s does not commit to “%(objective)s”") % params
            )
            if cell.committed:
                picture.rect(x + 3, y + 3, CELL - 6, CELL - 6, fill=COLOURS["ok"], stroke=COLOURS["ok"], rx=3)
                picture.text(
                    x + CELL / 2,
                    y + CELL / 2 + 6,
                    "✓",
                    text_anchor="middle",
                    fill="#ffffff",
                    font_size="18",
                    font_weight="700",
                )
            else:
                picture.rect(x + 3, y + 3, CELL - 6, CELL - 6, fill="#ffffff", stroke=COLOURS["line"], rx=3)
                picture.text(
                    x + CELL / 2, y + CELL / 2 + 5, "\u2013", text_anchor="middle", fill=COLOURS["muted"]
                )
            picture.group_end()
    footer_y = HEADER_HEIGHT + rows * CELL + 24
    picture.text(
        LABEL_WIDTH - 10, footer_y, _("Partners committed"), text_anchor="end", fill=COLOURS["muted"]
    )
    for j, count in enumerate(alignment.commitment_counts):
        picture.text(
            LABEL_WIDTH + j * CELL + CELL / 2,
            footer_y,
            f"{count}{'' if count else ' ⚠'}",
            text_anchor="middle",
            fill=COLOURS["text"] if count else COLOURS["warn"],
            font_weight="400" if count else "700",
        )
    return picture.render()


# Main page ------------------------------------------------------------------------------------------------


def _render_page(request, partnership, *, settings_form=None, status: int = 200):
    membership = partnership.membership
    alignment = alignment_matrix(user=request.user, partnership=partnership)
    objectives = list(objective_list(user=request.user, partnership=partnership))
    partners = partner_overview(user=request.user, partnership=partnership)
    labels = dict(Benefit.choices)
    for entry in partners:
        motivation = entry["motivation"]
        entry["benefits"] = [labels.get(b, b) for b in motivation.benefits] if motivation else []
    context = {
        "partnership": partnership,
        "membership": membership,
        "is_coordinator": can_manage(membership),
        "active_objectives": [o for o in objectives if o.status == ObjectiveStatus.ACTIVE],
        "other_objectives": [o for o in objectives if o.status != ObjectiveStatus.ACTIVE],
        "focus_limit": alignment.focus_limit,
        "settings_form": settings_form or FocusLimitForm(initial={"focus_limit": alignment.focus_limit}),
        "partners": partners,
        "alignment": alignment,
        "alignment_svg": alignment_picture(alignment),
        "statuses": ObjectiveStatus.choices,
    }
    return render(request, "formation/objectives/page.html", context, status=status)


@login_required
def page(request, code):
    return _render_page(request, get_partnership_for_user(request.user, code))


@login_required
@require_POST
def focus_limit(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    form = FocusLimitForm(request.POST)
    if form.is_valid():
        try:
            services.formation_settings_set(
                actor=request.user, partnership=partnership, focus_limit=form.cleaned_data["focus_limit"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    if form.errors:
        messages.error(request, error_summary(form))
        return _render_page(request, partnership, settings_form=form)
    messages.success(
        request,
        ngettext(
            "The focus limit is now %(limit)s active objective.",
            "The focus limit is now %(limit)s active objectives.",
            form.cleaned_data["focus_limit"],
        )
        % {"limit": form.cleaned_data["focus_limit"]},
    )
    return redirect(_page_url(partnership.code, "focus"))


# Objectives ----------------------------------------------------------------------------------------------


@login_required
def objective_create(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    form = ObjectiveCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            objective = services.objective_create(
                actor=request.user, partnership=partnership, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The objective “%(title)s” was added.") % {"title": objective.title})
            _flash_warnings(request, objective.warnings)
            return redirect(_page_url(partnership.code, "objectives"))
    context = {
        "partnership": partnership,
        "form": form,
        "focus_limit": focus_limit_for(partnership=partnership),
        "objective": None,
    }
    return render(request, "formation/objectives/objective_form.html", context)


@login_required
def objective_edit(request, code, o_code):
    objective = get_objective_for_user(request.user, code, o_code, manage=True)
    partnership = objective.partnership
    initial = {name: getattr(objective, name) for name in services.OBJECTIVE_FIELDS}
    form = ObjectiveForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.objective_update(actor=request.user, objective=objective, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The objective “%(title)s” was saved.") % {"title": objective.title})
            return redirect(_page_url(partnership.code, "objectives"))
    context = {
        "partnership": partnership,
        "form": form,
        "objective": objective,
        "status_form": ObjectiveStatusForm(initial={"status": objective.status}),
    }
    return render(request, "formation/objectives/objective_form.html", context)


@login_required
@require_POST
def objective_move(request, code, o_code):
    objective = get_objective_for_user(request.user, code, o_code, manage=True)
    form = ObjectiveMoveForm(request.POST)
    if form.is_valid():
        try:
            services.objective_move(
                actor=request.user, objective=objective, priority=form.cleaned_data["priority"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    if form.errors:
        messages.error(request, error_summary(form))
    else:
        messages.success(
            request,
            _("“%(title)s” now has priority %(priority)s.")
            % {"title": objective.title, "priority": objective.priority},
        )
    return redirect(_page_url(code, "objectives"))


@login_required
@require_POST
def objective_status(request, code, o_code):
    objective = get_objective_for_user(request.user, code, o_code, manage=True)
    form = ObjectiveStatusForm(request.POST)
    if form.is_valid():
        try:
            services.objective_set_status(
                actor=request.user, objective=objective, status=form.cleaned_data["status"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    if form.errors:
        messages.error(request, error_summary(form))
    else:
        messages.success(
            request,
            _("“%(title)s” is now %(status)s.")
            % {"title": objective.title, "status": objective.get_status_display().lower()},
        )
        _flash_warnings(request, objective.warnings)
    return redirect(_page_url(code, "objectives"))


@login_required
@require_POST
def objective_delete(request, code, o_code):
    objective = get_objective_for_user(request.user, code, o_code, manage=True)
    services.objective_delete(actor=request.user, objective=objective)
    messages.success(request, _("The objective “%(title)s” was deleted.") % {"title": objective.title})
    return redirect(_page_url(code, "objectives"))


# Motives and commitments ----------------------------------------------------------------------------------


@login_required
def motivation_edit(request, code, p_code):
    partner = get_partner_to_speak_for(request.user, code, p_code, write=True)
    motivation = motivation_for(user=request.user, partner=partner)
    initial = {name: getattr(motivation, name) for name in services.MOTIVATION_FIELDS}
    form = MotivationForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.motivation_set(actor=request.user, partner=partner, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The motives of %(organisation)s were saved.")
                % {"organisation": partner.organisation.name},
            )
            return redirect(_page_url(code, "motives"))
    context = {"partnership": partner.partnership, "partner": partner, "form": form}
    return render(request, "formation/objectives/motivation_form.html", context)


@login_required
def commitments_edit(request, code, p_code):
    partner = get_partner_to_speak_for(request.user, code, p_code, write=True)
    partnership = partner.partnership
    objectives = list(
        objective_list(user=request.user, partnership=partnership, status=ObjectiveStatus.ACTIVE)
    )
    committed = commitment_notes_of(user=request.user, partner=partner, objectives=objectives)
    form = CommitmentsForm(
        request.POST if request.method == "POST" else None, objectives=objectives, committed=committed
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.commitments_set(actor=request.user, partner=partner, commitments=form.chosen())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The commitments of %(organisation)s were saved.")
                % {"organisation": partner.organisation.name},
            )
            return redirect(_page_url(code, "alignment"))
    context = {"partnership": partnership, "partner": partner, "form": form}
    return render(request, "formation/objectives/commitments_form.html", context)


BASE = "p/<uuid:code>/formation/objectives/"
urlpatterns = [
    path(BASE, page, name="objectives"),
    path(f"{BASE}new/", objective_create, name="objective_create"),
    path(f"{BASE}focus-limit/", focus_limit, name="objectives_focus_limit"),
    path(f"{BASE}<uuid:o_code>/edit/", objective_edit, name="objective_edit"),
    path(f"{BASE}<uuid:o_code>/move/", objective_move, name="objective_move"),
    path(f"{BASE}<uuid:o_code>/status/", objective_status, name="objective_status"),
    path(f"{BASE}<uuid:o_code>/delete/", objective_delete, name="objective_delete"),
    path(f"{BASE}motives/<uuid:p_code>/", motivation_edit, name="motivation_edit"),
    path(f"{BASE}commitments/<uuid:p_code>/", commitments_edit, name="commitments_edit"),
]
