"""Pages for the problem area of formation: the problem statement (nature, scale, causes) and briefings.

Members read the statement when its TLP label allows; coordinators edit it, its figures and send
personal briefing links to candidate partners. The briefing page itself needs no login: its token is
the credential.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from safepact.formation.forms.problem import BriefingForm, FigureForm, ProblemStatementForm
from safepact.formation.selectors.problem import (
    briefing_share_list,
    briefing_shows_for,
    briefing_state,
    candidate_choices,
    get_briefing_share_for_user,
    get_figure_for_user,
    get_problem_for_user,
    recipient_organisation_choices,
    recipient_people_choices,
)
from safepact.formation.services import problem as services
from safepact.lib.svg import COLOURS, Svg
from safepact.partnerships.forms import apply_service_errors
from safepact.partnerships.permissions import can_manage
from safepact.partnerships.tlp import withheld_reason

BAR_AREA = 280
LABEL_WIDTH = 250
ROW = 34


def _number(value) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text


def figures_picture(figures) -> str:
    """Horizontal bars, one per figure. Bars compare only figures with the same unit: each unit has its
    own scale (the longest bar of a unit is the largest figure of that unit)."""
    largest: dict[str, float] = {}
    for f in figures:
        largest[f.unit] = max(largest.get(f.unit, 0.0), abs(float(f.value)))
    height = ROW * len(figures) + 16
    picture = Svg(
        width=LABEL_WIDTH + BAR_AREA + 150,
        height=height,
        title=_("Scale of the problem"),
        desc=ngettext(
            "Bar chart of %(count)s figure. The table next to the picture lists it with its source and date.",
            "Bar chart of %(count)s figures. Bars compare figures with the same unit only. The table next to "
            "the picture lists the same figures with their source and date.",
            len(figures),
        )
        % {"count": len(figures)},
        css_class="picture figures-picture",
    )
    for i, f in enumerate(figures):
        y = 8 + i * ROW
        value_text = f"{_number(f.value)} {f.unit}".strip()
        scale = largest[f.unit] or 1.0
        width = max(2.0, BAR_AREA * abs(float(f.value)) / scale)
        label = f.label if len(f.label) <= 36 else f.label[:35] + "…"
        picture.group_start(css_class="figure-bar", **{"data-figure": f.code, "data-value": f.value})
        picture.titled(f"{f.label}: {value_text}")
        picture.text(LABEL_WIDTH - 8, y + 17, label, text_anchor="end", fill=COLOURS["text"])
        picture.rect(LABEL_WIDTH, y + 4, round(width, 1), ROW - 12, fill=COLOURS["brand"])
        picture.text(LABEL_WIDTH + width + 6, y + 17, value_text, fill=COLOURS["text"])
        picture.group_end()
    return picture.render()


def _problem_url(code, anchor: str = "") -> str:
    url = reverse("formation:problem", args=[code])
    return f"{url}#{anchor}" if anchor else url


@login_required
def problem(request, code):
    view = get_problem_for_user(request.user, code)
    partnership = view.partnership
    is_coordinator = can_manage(partnership.membership)
    shares = list(briefing_share_list(user=request.user, partnership=partnership)) if is_coordinator else []
    shows = briefing_shows_for(statement=view.statement, shares=shares) if view.visible else {}
    for share in shares:
        share.shows_statement = shows.get(share.pk)
        share.link_state = briefing_state(share)
    context = {
        "partnership": partnership,
        "view": view,
        "statement": view.statement,
        "figures": view.figures,
        "picture": figures_picture(view.figures) if view.figures else "",
        "is_coordinator": is_coordinator,
        "may_edit": is_coordinator and view.visible,
        "shares": shares,
        # a recipient by label from whom the confidentiality gate withholds it: what to sign
        "withheld_reason": withheld_reason(request.user, view.statement)
        if view.exists and not view.visible
        else "",
    }
    return render(request, "formation/problem/problem.html", context)


@login_required
def problem_edit(request, code):
    view = get_problem_for_user(request.user, code, manage=True)
    partnership = view.partnership
    statement = view.statement
    initial = {"tlp": "green"}
    if statement is not None:
        initial = {
            "nature": statement.nature,
            "causes": statement.causes,
            "tlp": statement.tlp,
            "recipient_organisations": list(statement.recipient_organisations.all()),
            "recipient_people": list(statement.recipient_people.all()),
        }
    form = ProblemStatementForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        organisations=recipient_organisation_choices(user=request.user, partnership=partnership),
        people=recipient_people_choices(user=request.user, partnership=partnership),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.problem_statement_update(
                    actor=request.user,
                    partnership=partnership,
                    nature=data["nature"],
                    causes=data["causes"],
                    tlp=data["tlp"],
                    recipient_organisations=list(data["recipient_organisations"]),
                    recipient_people=list(data["recipient_people"]),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The problem statement has been saved."))
                return redirect(_problem_url(partnership.code))
        status = 422
    return render(
        request,
        "formation/problem/edit.html",
        {"partnership": partnership, "form": form, "statement": statement},
        status=status,
    )


@login_required
def figure_add(request, code):
    view = get_problem_for_user(request.user, code, manage=True)
    partnership = view.partnership
    form = FigureForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.problem_figure_add(actor=request.user, partnership=partnership, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The figure has been added."))
                return redirect(_problem_url(partnership.code, "figures"))
        status = 422
    return render(
        request,
        "formation/problem/figure_form.html",
        {"partnership": partnership, "form": form, "figure": None},
        status=status,
    )


@login_required
def figure_edit(request, code, figure_code):
    figure = get_figure_for_user(request.user, code, figure_code)
    partnership = figure.statement.partnership
    initial = {name: getattr(figure, name) for name in services.FIGURE_FIELDS}
    form = FigureForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.problem_figure_change(actor=request.user, figure=figure, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The figure has been changed."))
                return redirect(_problem_url(partnership.code, "figures"))
        status = 422
    return render(
        request,
        "formation/problem/figure_form.html",
        {"partnership": partnership, "form": form, "figure": figure},
        status=status,
    )


@login_required
@require_POST
def figure_remove(request, code, figure_code):
    figure = get_figure_for_user(request.user, code, figure_code)
    services.problem_figure_remove(actor=request.user, figure=figure)
    messages.success(request, _("The figure %(label)s has been removed.") % {"label": figure.label})
    return redirect(_problem_url(code, "figures"))


@login_required
@require_POST
def figure_move(request, code, figure_code):
    figure = get_figure_for_user(request.user, code, figure_code)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, _("Direction: choose up or down."))
        return redirect(_problem_url(code, "figures"))
    position = max(1, figure.position - 1) if direction == "up" else figure.position + 1
    services.problem_figure_change(actor=request.user, figure=figure, position=position)
    messages.success(request, _("The figure %(label)s has been moved.") % {"label": figure.label})
    return redirect(_problem_url(code, "figures"))


# Briefings -----------------------------------------------------------------------------------------


@login_required
def briefing_send(request, code):
    view = get_problem_for_user(request.user, code, manage=True)
    partnership = view.partnership
    candidates = candidate_choices(user=request.user, partnership=partnership)
    form = BriefingForm(
        request.POST if request.method == "POST" else None,
        candidates=candidates,
        initial={"candidate": request.GET.get("candidate")} if request.GET.get("candidate") else None,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                share, _token = services.briefing_share_create(
                    actor=request.user,
                    candidate=form.cleaned_data["candidate"],
                    email=form.cleaned_data["email"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, _("A briefing link has been sent to %(email)s.") % {"email": share.email}
                )
                return redirect(_problem_url(partnership.code, "briefings"))
        status = 422
    return render(
        request,
        "formation/problem/briefing_send.html",
        {"partnership": partnership, "form": form, "view": view, "has_candidates": candidates.exists()},
        status=status,
    )


@login_required
@require_POST
def briefing_revoke(request, code, share_code):
    share = get_briefing_share_for_user(request.user, code, share_code)
    try:
        services.briefing_share_revoke(actor=request.user, share=share)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The briefing link sent to %(email)s has been revoked.") % {"email": share.email}
        )
    return redirect(_problem_url(code, "briefings"))


@never_cache
@require_GET
def briefing(request, token):
    """The link in the briefing email: no login; the token is the credential."""
    found = services.briefing_open(token=token)
    status = {"open": 200, "unknown": 404}.get(found.state, 410)
    picture = figures_picture(found.figures) if found.figures else ""
    response = render(
        request, "formation/problem/briefing.html", {"briefing": found, "picture": picture}, status=status
    )
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


urlpatterns: list = [
    path("p/<uuid:code>/formation/problem/", problem, name="problem"),
    path("p/<uuid:code>/formation/problem/edit/", problem_edit, name="problem_edit"),
    path("p/<uuid:code>/formation/problem/figures/new/", figure_add, name="problem_figure_add"),
    path(
        "p/<uuid:code>/formation/problem/figures/<uuid:figure_code>/edit/",
        figure_edit,
        name="problem_figure_edit",
    ),
    path(
        "p/<uuid:code>/formation/problem/figures/<uuid:figure_code>/remove/",
        figure_remove,
        name="problem_figure_remove",
    ),
    path(
        "p/<uuid:code>/formation/problem/figures/<uuid:figure_code>/move/",
        figure_move,
        name="problem_figure_move",
    ),
    path("p/<uuid:code>/formation/problem/briefings/new/", briefing_send, name="briefing_send"),
    path(
        "p/<uuid:code>/formation/problem/briefings/<uuid:share_code>/revoke/",
        briefing_revoke,
        name="briefing_revoke",
    ),
    path("briefings/<str:token>/", briefing, name="briefing"),
]
