"""Pages for the austin area of formation: Austin's collaboration continuum.

One page: the current profile as a picture, the partners' input form (members, for their own
organisation), the coordinator's profile form (with the partners' input beside each dimension) and
the history as a line chart. Every picture has a table beside it.
"""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safepact.formation.forms.austin import AustinInputForm, AustinProfileForm
from safepact.formation.models import AustinStage
from safepact.formation.selectors.austin import (
    DIMENSIONS,
    POSITION_LABELS,
    austin_current_inputs,
    austin_inputs_of_partner,
    austin_profile_list,
    position_label,
    stage_fit,
    summarise_inputs,
)
from safepact.formation.selectors.objectives import may_speak_for
from safepact.formation.services import austin as services
from safepact.lib.svg import COLOURS, Svg
from safepact.partnerships.forms import apply_service_errors
from safepact.partnerships.models import PartnerStatus
from safepact.partnerships.permissions import can_manage, can_write
from safepact.partnerships.selectors import get_partnership_for_user

# Seven dimensions, seven distinct dash patterns (the colours help, but never carry meaning alone).
DASHES = [None, "10 4", "2 4", "12 4 2 4", "6 6", "18 5", "2 3 8 3"]
LINE_COLOURS = ["#0b4f8a", "#a4161a", "#1e6b32", "#8a4b00", "#5b2a86", "#1b1f24", "#00617a"]
STAGE_TICKS = [
    (0, AustinStage.PHILANTHROPIC.label),
    (50, AustinStage.TRANSACTIONAL.label),
    (100, AustinStage.INTEGRATIVE.label),
]


def _page_url(code, anchor: str = "") -> str:
    url = reverse("formation:austin", kwargs={"code": code})
    return f"{url}#{anchor}" if anchor else url


def _date(moment: datetime) -> str:
    return formats.date_format(moment, "DATE_FORMAT")


# Pictures -------------------------------------------------------------------------------------------------


def history_chart(profiles: list):
    """x = assessment date, y = 0..100 (stage names on the axis), one line per dimension.

    Lines carry ``data-dimension``; points carry ``data-dimension``, ``data-date`` and ``data-position``.
    """
    width, height = 760, 380
    left, right, top, bottom = 120, 200, 30, 320
    picture = Svg(
        width=width,
        height=height,
        title=_("The partnership on the collaboration continuum over time"),
        desc=_(
            "A line chart with one line per dimension (each with its own dash pattern) over %(count)s "
            "assessments. Higher is more integrative: 0 philanthropic, 50 transactional, 100 integrative. "
            "The table below gives the same figures."
        )
        % {"count": len(profiles)},
        css_class="picture austin-history",
    )

    def y_of(position: float) -> float:
        return bottom - (bottom - top) * position / 100

    for position in (0, 25, 50, 75, 100):
        picture.line(
            left,
            y_of(position),
            width - right,
            y_of(position),
            stroke="#d0d5db",
            stroke_dasharray=None if position % 50 == 0 else "2 4",
        )
    for position, label in STAGE_TICKS:
        picture.text(
            left - 8,
            y_of(position) + 4,
            label,
            text_anchor="end",
            fill=COLOURS["text"],
            css_class="axis-label",
            **{"data-position": position},
        )
    picture.line(left, top, left, bottom, stroke=COLOURS["line"])
    picture.line(left, bottom, width - right, bottom, stroke=COLOURS["line"])
    if not profiles:
        return picture.render()
    stamps = [p.assessed_at.timestamp() for p in profiles]
    first, last = min(stamps), max(stamps)

    def x_of(stamp: float) -> float:
        if last == first:
            return (left + width - right) / 2
        return left + 10 + (width - right - left - 20) * (stamp - first) / (last - first)

    # date labels on the x axis (at most six, evenly chosen)
    step = max(1, -(-len(profiles) // 6))
    shown = list(range(0, len(profiles), step))
    if shown[-1] != len(profiles) - 1:
        shown.append(len(profiles) - 1)
    for index in shown:
        profile = profiles[index]
        picture.text(
            x_of(stamps[index]),
            bottom + 18,
            _date(profile.assessed_at),
            text_anchor="middle",
            fill=COLOURS["muted"],
            font_size="11",
            **{"data-date": profile.assessed_at.date().isoformat()},
        )
    ends = []
    for k, dimension in enumerate(DIMENSIONS):
        offset = (k - 3) * 1.5  # a small shift so equal values do not hide each other
        points = [
            (round(x_of(stamps[i]), 1), round(y_of(p.scores.get(dimension.value, 0)) + offset, 1))
            for i, p in enumerate(profiles)
        ]
        style = {"stroke": LINE_COLOURS[k], "stroke_width": 2, "fill": "none"}
        if DASHES[k]:
            style["stroke_dasharray"] = DASHES[k]
        picture.polyline(points, css_class="dimension-line", **style, **{"data-dimension": dimension.value})
        for (x, y), profile in zip(points, profiles, strict=True):
            position = profile.scores.get(dimension.value, 0)
            picture.group_start(
                css_class="point",
                **{
                    "data-dimension": dimension.value,
                    "data-date": profile.assessed_at.date().isoformat(),
                    "data-position": position,
                },
            )
            picture.titled(
                _("%(dimension)s on %(date)s: %(position)s (%(label)s)")
                % {
                    "dimension": dimension.label,
                    "date": _date(profile.assessed_at),
                    "position": position,
                    "label": position_label(position),
                }
            )
            picture.circle(x, y, 3.5, fill=LINE_COLOURS[k])
            picture.group_end()
        ends.append([points[-1][1], points[-1][0], k, dimension])
    # end labels, pushed apart so they never overlap
    ends.sort(key=lambda e: e[0])
    gap = 15
    for i in range(1, len(ends)):
        ends[i][0] = max(ends[i][0], ends[i - 1][0] + gap)
    overflow = ends[-1][0] - (bottom + 4)
    if overflow > 0:
        for end in ends:
            end[0] -= overflow
        for i in range(len(ends) - 2, -1, -1):
            ends[i][0] = min(ends[i][0], ends[i + 1][0] - gap)
    label_x = width - right + 14
    for label_y, x, k, dimension in ends:
        picture.line(
            x + 4,
            label_y,
            label_x - 3,
            label_y,
            stroke=LINE_COLOURS[k],
            stroke_width=2,
            stroke_dasharray=DASHES[k],
        )
        picture.text(
            label_x,
            label_y + 4,
            dimension.label,
            fill=COLOURS["text"],
            font_size="12",
            css_class="end-label",
            **{"data-dimension": dimension.value},
        )
    return picture.render()


def current_profile_picture(profile, summary: dict | None = None):
    """Seven horizontal scales from philanthropic to integrative: a filled dot for the profile's position,
    an open diamond for the partners' average input. Rows carry ``data-dimension`` and ``data-position``."""
    width, row_height = 760, 40
    left, right, top = 230, 40, 46
    height = top + row_height * len(DIMENSIONS) + 10
    picture = Svg(
        width=width,
        height=height,
        title=_("Current profile on the collaboration continuum"),
        desc=_(
            "For each of the seven dimensions, a scale from philanthropic (left) via transactional to "
            "integrative (right); a filled dot marks the recorded position and an open diamond the "
            "partners' average input. The table below gives the same figures."
        ),
        css_class="picture austin-profile",
    )

    def x_of(position: float) -> float:
        return left + (width - left - right) * position / 100

    for position, label in STAGE_TICKS:
        anchor = {0: "start", 50: "middle", 100: "end"}[position]
        picture.text(x_of(position), 20, label, text_anchor=anchor, fill=COLOURS["text"], font_weight="600")
    for i, dimension in enumerate(DIMENSIONS):
        y = top + i * row_height + row_height / 2
        position = profile.scores.get(dimension.value) if profile else None
        picture.group_start(
            css_class="dimension",
            **{
                "data-dimension": dimension.value,
                "data-position": "" if position is None else position,
            },
        )
        picture.titled(
            _("%(dimension)s: %(position)s (%(label)s)")
            % {"dimension": dimension.label, "position": position, "label": position_label(position)}
            if position is not None
            else dimension.label
        )
        picture.text(left - 12, y + 4, dimension.label, text_anchor="end", fill=COLOURS["text"])
        picture.line(x_of(0), y, x_of(100), y, stroke=COLOURS["line"], stroke_width=2)
        for tick in (0, 25, 50, 75, 100):
            picture.line(x_of(tick), y - 6, x_of(tick), y + 6, stroke=COLOURS["line"])
        if position is not None:
            picture.circle(
                x_of(position),
                y,
                8,
                fill=COLOURS["brand"],
                stroke="#ffffff",
                stroke_width=2,
                css_class="position",
            )
        found = summary.get(dimension.value) if summary else None
        if found is not None and found.count:
            cx, size = x_of(found.average), 7
            points = f"{cx:g},{y - size:g} {cx + size:g},{y:g} {cx:g},{y + size:g} {cx - size:g},{y:g}"
            picture.add(
                "polygon",
                points=points,
                fill="none",
                stroke=COLOURS["warn"],
                stroke_width=2,
                css_class="partner-average",
                **{"data-average": found.average},
            )
        picture.group_end()
    return picture.render()


# The page -------------------------------------------------------------------------------------------------


def _render_page(request, partnership, *, profile_form=None, input_form=None):
    membership = partnership.membership
    is_coordinator = can_manage(membership)
    profiles = list(austin_profile_list(user=request.user, partnership=partnership))
    inputs = austin_current_inputs(user=request.user, partnership=partnership)
    summary = summarise_inputs(inputs)
    current = profiles[-1] if profiles else None
    fit = stage_fit(scores=current.scores, declared_stage=current.declared_stage) if current else None
    own_partner = membership.partner
    may_give_input = (
        can_write(membership)
        and own_partner.status == PartnerStatus.ACTIVE
        and may_speak_for(request.user, partnership, own_partner)
    )
    if may_give_input and input_form is None:
        own = austin_inputs_of_partner(user=request.user, partnership=partnership, partner=own_partner)
        initial = {}
        for dimension, row in own.items():
            initial[dimension] = row.position
            initial[f"comment_{dimension}"] = row.comment
        input_form = AustinInputForm(initial=initial, auto_id="input_%s")
    if is_coordinator and profile_form is None:
        initial = dict(current.scores) if current else {}
        if current:
            initial["declared_stage"] = current.declared_stage
        profile_form = AustinProfileForm(initial=initial, summary=summary)
    rows = []
    for dimension in DIMENSIONS:
        position = current.scores.get(dimension.value) if current else None
        rows.append(
            {
                "dimension": dimension,
                "position": position,
                "label": position_label(position) if position is not None else "",
                "summary": summary[dimension.value],
            }
        )
    history_rows = [
        {
            "profile": p,
            "fit": stage_fit(scores=p.scores, declared_stage=p.declared_stage),
            "positions": [p.scores.get(d.value) for d in DIMENSIONS],
        }
        for p in profiles
    ]
    context = {
        "partnership": partnership,
        "is_coordinator": is_coordinator,
        "current": current,
        "fit": fit,
        "rows": rows,
        "dimensions": DIMENSIONS,
        "inputs": inputs,
        "profiles": profiles,
        "history_rows": history_rows,
        "current_svg": current_profile_picture(current, summary) if (current or inputs) else None,
        "history_svg": history_chart(profiles) if profiles else None,
        "may_give_input": may_give_input,
        "own_partner": own_partner,
        "input_form": input_form,
        "profile_form": profile_form,
        "position_labels": POSITION_LABELS,
    }
    return render(request, "formation/austin/page.html", context)


@login_required
def page(request, code):
    return _render_page(request, get_partnership_for_user(request.user, code))


@login_required
@require_POST
def give_input(request, code):
    partnership = get_partnership_for_user(request.user, code, write=True)
    partner = partnership.membership.partner
    form = AustinInputForm(request.POST, auto_id="input_%s")
    if form.is_valid():
        try:
            services.austin_input_give(
                actor=request.user, partner=partner, positions=form.positions(), comments=form.comments()
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, rename={"positions": None})
    if form.errors:
        messages.error(request, _("Your input was not saved: please correct the form."))
        return _render_page(request, partnership, input_form=form)
    messages.success(
        request, _("The input of %(organisation)s was saved.") % {"organisation": partner.organisation.name}
    )
    return redirect(_page_url(code, "input"))


@login_required
@require_POST
def record_profile(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    summary = summarise_inputs(austin_current_inputs(user=request.user, partnership=partnership))
    form = AustinProfileForm(request.POST, summary=summary)
    if form.is_valid():
        try:
            profile = services.austin_profile_record(
                actor=request.user,
                partnership=partnership,
                scores=form.scores(),
                declared_stage=form.cleaned_data["declared_stage"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    if form.errors:
        messages.error(request, _("The profile was not recorded: please correct the form."))
        return _render_page(request, partnership, profile_form=form)
    messages.success(request, _("The profile was recorded."))
    fit = stage_fit(scores=profile.scores, declared_stage=profile.declared_stage)
    if not fit.fits:
        messages.warning(request, fit.message)
    return redirect(_page_url(code, "current"))


BASE = "p/<uuid:code>/formation/austin/"
urlpatterns = [
    path(BASE, page, name="austin"),
    path(f"{BASE}input/", give_input, name="austin_input"),
    path(f"{BASE}profile/", record_profile, name="austin_profile"),
]
