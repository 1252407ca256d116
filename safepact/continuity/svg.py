"""The continuity pictures (server-rendered SVG, ``safepact.lib.svg.Svg``): the action plan as a Gantt
chart and the resources chart (hours committed vs used per month, and the funding runway).

Accessible and testable by their nodes: a ``<title>`` and ``<desc>`` for the picture, a ``<title>`` per
bar, overdue bars marked by colour *and* the text "overdue" and a dashed outline, each bar group carries
``data-code``.
"""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.template.defaultfilters import floatformat
from django.utils import formats
from django.utils.translation import gettext as _

from safepact.lib.svg import COLOURS, Svg

LABEL_WIDTH = 230
CHART_WIDTH = 620
ROW = 26
BAR = 14
HEADER = 36
FOOTER = 24
MAX_LABEL = 30

STATUS_FILL = {
    "planned": COLOURS["brand"],
    "in_progress": COLOURS["brand"],
    "open": COLOURS["brand"],
    "done": COLOURS["ok"],
    "cancelled": COLOURS["line"],
}


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _day(day: date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _month_label(month: date) -> str:
    return formats.date_format(month, "M Y")


def gantt_svg(plan, *, on: date) -> Svg:
    """One row per line of ``plan`` (``selectors.ActionPlan``): a bar from start to due, month ticks, a
    line for today, overdue bars in the danger colour with the word "overdue", connectors from each
    dependency's end to the dependent's start."""
    rows = plan.rows
    overdue = sum(1 for r in rows if r.overdue)
    height = HEADER + max(1, len(rows)) * ROW + FOOTER
    width = LABEL_WIDTH + CHART_WIDTH + 90
    picture = Svg(
        width=width,
        height=height,
        title=_("Action plan"),
        desc=_(
            "%(n)d activities and actions from start to due date; %(overdue)d overdue. Today is %(today)s."
        )
        % {"n": len(rows), "overdue": overdue, "today": _day(on)},
        css_class="picture gantt",
    )
    if not rows:
        picture.text(10, HEADER + 17, _("Nothing planned yet."), fill=COLOURS["muted"])
        return picture
    first = min(min(r.start for r in rows), on).replace(day=1)
    last_day = max(max(r.due for r in rows), on)
    last = (last_day.replace(day=1) + relativedelta(months=1)) - timedelta(days=1)
    span = max(1, (last - first).days + 1)

    def x(day: date) -> float:
        return round(LABEL_WIDTH + (day - first).days / span * CHART_WIDTH, 1)

    bottom = HEADER + len(rows) * ROW
    # Month ticks (every month, labelled every month up to 12, else every quarter).
    months = []
    month = first
    while month <= last:
        months.append(month)
        month += relativedelta(months=1)
    every = 1 if len(months) <= 12 else 3
    picture.group_start(css_class="months")
    for index, month in enumerate(months):
        picture.line(
            x(month), HEADER - 6, x(month), bottom, stroke=COLOURS["surface"] if index else COLOURS["line"]
        )
        if index % every == 0:
            picture.text(x(month) + 3, HEADER - 12, _month_label(month), fill=COLOURS["muted"], font_size=11)
    picture.group_end()

    positions = {}
    for index, row in enumerate(rows):
        top = HEADER + index * ROW
        positions[row.code] = (x(row.start), x(row.due + timedelta(days=1)), top + ROW / 2)
    # Dependency connectors (under the bars).
    picture.group_start(css_class="dependencies")
    for row in rows:
        for code in row.depends_on_codes:
            if code not in positions:
                continue
            _start, end_x, from_y = positions[code]
            to_x, _end, to_y = positions[row.code]
            elbow = max(end_x, to_x - 8)
            picture.polyline(
                [(end_x, from_y), (elbow, from_y), (elbow, to_y), (to_x, to_y)],
                fill="none",
                stroke=COLOURS["muted"],
                stroke_width=1.2,
                css_class="dependency",
                **{"data-from": code, "data-to": row.code},
            )
            picture.polyline(
                [(to_x - 5, to_y - 4), (to_x, to_y), (to_x - 5, to_y + 4)],
                fill="none",
                stroke=COLOURS["muted"],
                stroke_width=1.2,
            )
    picture.group_end()

    for index, row in enumerate(rows):
        top = HEADER + index * ROW
        start_x, end_x, _middle = positions[row.code]
        kind = _("Activity") if row.kind == "activity" else _("Action from a meeting")
        tooltip = _("%(kind)s: %(title)s, %(owner)s, %(start)s to %(due)s, %(status)s") % {
            "kind": kind,
            "title": row.title,
            "owner": row.owner,
            "start": _day(row.start),
            "due": _day(row.due),
            "status": row.status_label,
        }
        if row.overdue:
            tooltip += ", " + _("overdue by %(n)d days") % {"n": row.days_overdue}
        classes = f"bar bar-{row.kind} status-{row.status}" + (" overdue" if row.overdue else "")
        picture.group_start(css_class=classes, **{"data-code": row.code})
        picture.titled(tooltip)
        picture.text(6, top + 17, _short(row.title), fill=COLOURS["text"])
        fill = COLOURS["danger"] if row.overdue else STATUS_FILL.get(row.status, COLOURS["brand"])
        picture.rect(
            start_x,
            top + (ROW - BAR) / 2,
            max(3, round(end_x - start_x, 1)),
            BAR,
            fill=fill,
            rx=2,
            stroke=COLOURS["text"] if row.overdue else None,
            stroke_dasharray="4 2" if row.overdue else None,
            opacity=0.6 if row.closed and not row.overdue else None,
        )
        if row.overdue:
            picture.text(
                end_x + 4, top + 17, _("overdue"), fill=COLOURS["danger"], font_weight="bold", font_size=11
            )
        elif row.status == "done":
            picture.text(end_x + 4, top + 17, _("done"), fill=COLOURS["ok"], font_size=11)
        picture.group_end()

    picture.group_start(css_class="today")
    picture.line(x(on), HEADER - 6, x(on), bottom + 4, stroke=COLOURS["danger"], stroke_width=2)
    picture.text(
        x(on) + 3, bottom + 16, _("Today %(date)s") % {"date": _day(on)}, fill=COLOURS["danger"], font_size=11
    )
    picture.group_end()
    return picture


CHART_HEIGHT = 180


def resources_svg(resources) -> Svg:
    """Hours committed vs used per month (the last twelve, ``Resources.months``), and the funding runway as
    a line over the next twelve months with its end date in text."""
    months = resources.months
    left, top, bar_gap = 50, 30, 6
    group_width = 50
    width = left + len(months) * group_width + 20
    height = top + CHART_HEIGHT + 40 + 60
    if resources.has_funding and resources.open_ended:
        runway_text = _("Funding: no end date.")
    elif resources.has_funding and resources.runway_end:
        runway_text = _("Funded until %(date)s (%(n)d days).") % {
            "date": formats.date_format(resources.runway_end, "DATE_FORMAT"),
            "n": resources.runway_days,
        }
    else:
        runway_text = _("No funding recorded for today.")
    picture = Svg(
        width=width,
        height=height,
        title=_("Time committed and used"),
        desc=_("Hours committed and hours used per month over the last twelve months. %(runway)s")
        % {"runway": runway_text},
        css_class="picture resources",
    )
    peak = max([m.committed for m in months] + [m.used for m in months] + [1.0])
    scale = CHART_HEIGHT / peak
    base = top + CHART_HEIGHT
    picture.line(left, top, left, base, stroke=COLOURS["line"])
    picture.line(left, base, width - 10, base, stroke=COLOURS["line"])
    picture.text(4, top + 4, floatformat(peak, -1), fill=COLOURS["muted"], font_size=11)
    picture.text(4, base, "0", fill=COLOURS["muted"], font_size=11)
    bar_width = (group_width - 3 * bar_gap) / 2
    for index, month in enumerate(months):
        x = left + index * group_width + bar_gap
        picture.group_start(css_class="month", **{"data-month": month.month.isoformat()})
        picture.titled(
            _("%(month)s: %(committed)s hours committed, %(used)s used")
            % {
                "month": _month_label(month.month),
                "committed": floatformat(month.committed, -1),
                "used": floatformat(month.used, -1),
            }
        )
        committed_h = round(month.committed * scale, 1)
        used_h = round(month.used * scale, 1)
        picture.rect(
            x, base - committed_h, bar_width, committed_h, fill=COLOURS["brand"], css_class="committed"
        )
        below = month.committed and month.used < month.committed
        picture.rect(
            x + bar_width + bar_gap,
            base - used_h,
            bar_width,
            used_h,
            fill=COLOURS["warn"] if below else COLOURS["ok"],
            css_class="used",
        )
        picture.text(x, base + 14, formats.date_format(month.month, "M"), fill=COLOURS["muted"], font_size=11)
        picture.group_end()
    # Legend.
    legend_y = base + 32
    picture.rect(left, legend_y - 10, 12, 12, fill=COLOURS["brand"])
    picture.text(left + 16, legend_y, _("committed hours"), fill=COLOURS["text"], font_size=11)
    picture.rect(left + 140, legend_y - 10, 12, 12, fill=COLOURS["ok"])
    picture.text(left + 156, legend_y, _("used hours"), fill=COLOURS["text"], font_size=11)
    picture.rect(left + 260, legend_y - 10, 12, 12, fill=COLOURS["warn"])
    picture.text(left + 276, legend_y, _("used, less than committed"), fill=COLOURS["text"], font_size=11)
    # Funding runway over the next twelve months.
    runway_y = legend_y + 30
    span_width = width - left - 20
    picture.group_start(css_class="runway")
    picture.titled(runway_text)
    picture.line(left, runway_y, left + span_width, runway_y, stroke=COLOURS["surface"], stroke_width=6)
    if resources.has_funding:
        days = 365 if resources.open_ended else min(365, max(0, resources.runway_days or 0))
        colour = COLOURS["ok"] if days > 90 else COLOURS["danger"] if days <= 30 else COLOURS["warn"]
        picture.line(
            left, runway_y, round(left + span_width * days / 365, 1), runway_y, stroke=colour, stroke_width=6
        )
    picture.text(left, runway_y + 18, runway_text, fill=COLOURS["text"], font_size=12)
    picture.group_end()
    return picture
