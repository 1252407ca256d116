"""Reads for the structure area of formation: bodies, seats, the organogram, the task table, time commitment.

Every reader takes the requesting user and a partnership opened through ``get_partnership_for_user``;
objects are fetched through the ``get_*_for_user`` helpers here, which start from that partnership
(an object of another partnership is simply not there: 404).

The organogram is derived from the bodies and seats (never stored): ``organogram_layout`` computes
non-overlapping boxes, arranged by level (board on top, operational in the middle, related
stakeholders below); ``organogram_svg`` draws them with ``safepact.lib.svg.Svg``.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.formation.models import Body, Level, Raci, Seat, Task, TaskAssignment
from safepact.lib import clock
from safepact.lib.csv_export import csv_lines
from safepact.lib.svg import COLOURS, Svg
from safepact.partnerships.models import Membership, MembershipStatus, Partner, Partnership, PartnerStatus
from safepact.partnerships.selectors import get_partnership_for_user, partnerships_for

# A person whose seats add up to more than this many hours a month gets a warning.
MAX_PERSON_HOURS = Decimal(40)
# Partners that may hold a seat or a task: taking part, or invited to.
ASSIGNABLE_STATUSES = (PartnerStatus.ACTIVE, PartnerStatus.INVITED)
LEVEL_ORDER = [Level.BOARD, Level.OPERATIONAL, Level.STAKEHOLDER]


def _parse(code) -> UUID | None:
    if isinstance(code, UUID):
        return code
    try:
        return UUID(str(code))
    except (TypeError, ValueError):
        return None


# Access helpers -----------------------------------------------------------------------------------


def get_body_for_user(user, code, body_code, *, manage: bool = False) -> Body:
    partnership = get_partnership_for_user(user, code, manage=manage)
    body = (
        Body.objects.filter(partnership=partnership, code=_parse(body_code)).select_related("parent").first()
    )
    if body is None:
        raise Http404(gettext_lazy("Body not found."))
    body.partnership = partnership
    return body


def get_seat_for_user(user, code, seat_code, *, manage: bool = False) -> Seat:
    partnership = get_partnership_for_user(user, code, manage=manage)
    seat = (
        Seat.objects.filter(body__partnership=partnership, code=_parse(seat_code))
        .select_related("body", "partner__organisation", "person")
        .first()
    )
    if seat is None:
        raise Http404(gettext_lazy("Seat not found."))
    seat.body.partnership = partnership
    return seat


def get_task_for_user(user, code, task_code, *, manage: bool = False) -> Task:
    partnership = get_partnership_for_user(user, code, manage=manage)
    task = Task.objects.filter(partnership=partnership, code=_parse(task_code)).first()
    if task is None:
        raise Http404(gettext_lazy("Task not found."))
    task.partnership = partnership
    return task


def get_structure_partner_for_user(user, partnership: Partnership, partner_code) -> Partner:
    """A partner of ``partnership`` (already opened by the caller); another partnership's partner: 404."""
    partner = (
        Partner.objects.filter(
            partnership=partnership, partnership__in=partnerships_for(user), code=_parse(partner_code)
        )
        .select_related("organisation")
        .first()
    )
    if partner is None:
        raise Http404(gettext_lazy("Partner not found."))
    return partner


def structure_person_lookup(*, user, partnership: Partnership, person_code):
    """A person with a membership (any status) in ``partnership``, or ``None`` (the caller names the field)."""
    from safepact.accounts.models import User

    parsed = _parse(person_code)
    if parsed is None:
        return None
    return (
        User.objects.filter(
            code=parsed,
            partnership_memberships__partner__partnership=partnership,
            partnership_memberships__partner__partnership__in=partnerships_for(user),
        )
        .distinct()
        .first()
    )


# Lists --------------------------------------------------------------------------------------------


def _seats_queryset():
    return Seat.objects.select_related("partner__organisation", "person").order_by("role_title", "id")


def body_list(*, user, partnership: Partnership) -> QuerySet[Body]:
    """Bodies ordered by level (board, operational, stakeholder), position and name, with their seats."""
    return (
        Body.objects.filter(partnership=partnership, partnership__in=partnerships_for(user))
        .select_related("parent")
        .prefetch_related(Prefetch("seats", queryset=_seats_queryset()))
        .order_by("level", "position", "name", "id")
    )


def seat_list(*, user, partnership: Partnership) -> QuerySet[Seat]:
    return (
        Seat.objects.filter(body__partnership=partnership, body__partnership__in=partnerships_for(user))
        .select_related("body", "body__parent", "partner__organisation", "person")
        .order_by("body__level", "body__position", "body__name", "body_id", "role_title", "id")
    )


def assignable_partners(*, user, partnership: Partnership) -> QuerySet[Partner]:
    """Partners that may hold a seat or a task: active or invited."""
    return (
        Partner.objects.filter(
            partnership=partnership, partnership__in=partnerships_for(user), status__in=ASSIGNABLE_STATUSES
        )
        .select_related("organisation")
        .order_by("organisation__name", "id")
    )


def seat_person_choices(*, user, partnership: Partnership) -> QuerySet[Membership]:
    """Active memberships (person through partner) that may fill a seat."""
    return (
        Membership.objects.filter(
            partner__partnership=partnership,
            partner__partnership__in=partnerships_for(user),
            partner__status__in=ASSIGNABLE_STATUSES,
            status=MembershipStatus.ACTIVE,
        )
        .select_related("user", "partner__organisation")
        .order_by("partner__organisation__name", "user__full_name", "id")
    )


def task_list(*, user, partnership: Partnership) -> QuerySet[Task]:
    return (
        Task.objects.filter(partnership=partnership, partnership__in=partnerships_for(user))
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=TaskAssignment.objects.select_related("partner__organisation").order_by(
                    "partner__organisation__name", "id"
                ),
            )
        )
        .order_by("position", "id")
    )


# The structure: tree and time commitment -------------------------------------------------------


@dataclass
class TreeNode:
    body: Body
    children: list["TreeNode"] = field(default_factory=list)


@dataclass
class CommitmentRow:
    key: str
    label: str
    detail: str
    seats: int = 0
    hours: Decimal = Decimal(0)
    over: bool = False


@dataclass
class Structure:
    bodies: list[Body]
    tree: list[TreeNode]
    by_level: list[tuple[str, str, list[Body]]]
    partners: list[CommitmentRow]
    people: list[CommitmentRow]
    over_limit: list[CommitmentRow]
    max_person_hours: Decimal = MAX_PERSON_HOURS

    @property
    def seat_count(self) -> int:
        return sum(len(body.seats.all()) for body in self.bodies)


def _tree(bodies: list[Body]) -> list[TreeNode]:
    nodes = {body.pk: TreeNode(body) for body in bodies}
    roots = []
    for body in bodies:
        parent = nodes.get(body.parent_id)
        (parent.children if parent is not None else roots).append(nodes[body.pk])
    # Guard against a cycle that slipped in (the services refuse them): such bodies have no root.
    reached: set[int] = set()

    def walk(node):
        if node.body.pk in reached:
            return
        reached.add(node.body.pk)
        for child in node.children:
            walk(child)

    for root in roots:
        walk(root)
    for body in bodies:
        if body.pk not in reached:
            nodes[body.pk].children = []
            roots.append(nodes[body.pk])
            reached.add(body.pk)
    return roots


def _person_label(person) -> str:
    return person.full_name or person.email


def time_commitment(bodies: list[Body], *, limit: Decimal = MAX_PERSON_HOURS):
    """Hours per month summed per partner and per person (over their seats), from loaded seats."""
    partners: dict[int, CommitmentRow] = {}
    people: dict[int, CommitmentRow] = {}
    for body in bodies:
        for seat in body.seats.all():
            organisation = seat.partner.organisation.name
            row = partners.setdefault(
                seat.partner_id, CommitmentRow(str(seat.partner.code), organisation, seat.partner.status)
            )
            row.seats += 1
            row.hours += seat.hours_per_month
            if seat.person_id:
                person = people.setdefault(
                    seat.person_id, CommitmentRow(str(seat.person.code), _person_label(seat.person), "")
                )
                person.seats += 1
                person.hours += seat.hours_per_month
                organisations = [o for o in person.detail.split(", ") if o]
                if organisation not in organisations:
                    person.detail = ", ".join([*organisations, organisation])
    for person in people.values():
        person.over = person.hours > limit
    by_hours = lambda row: (-row.hours, row.label.casefold())  # noqa: E731
    people_rows = sorted(people.values(), key=by_hours)
    return sorted(partners.values(), key=by_hours), people_rows, [p for p in people_rows if p.over]


def structure_overview(*, user, partnership: Partnership) -> Structure:
    bodies = list(body_list(user=user, partnership=partnership))
    partners, people, over = time_commitment(bodies)
    by_level = [
        (level.value, level.label, [body for body in bodies if body.level == level.value])
        for level in LEVEL_ORDER
    ]
    return Structure(
        bodies=bodies,
        tree=_tree(bodies),
        by_level=by_level,
        partners=partners,
        people=people,
        over_limit=over,
    )


def descendants_of(body: Body, bodies: list[Body]) -> set[int]:
    """Keys of ``body`` and every body below it (to leave them out of its "reports to" choices)."""
    children: dict[int | None, list[int]] = {}
    for other in bodies:
        children.setdefault(other.parent_id, []).append(other.pk)
    found, todo = set(), [body.pk]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        todo.extend(children.get(current, []))
    return found


# The task table (RACI) ----------------------------------------------------------------------------


@dataclass
class TaskRow:
    task: Task
    cells: list[tuple[Partner, str]]  # (partner, "R" | "A" | "C" | "I" | "")
    has_responsible: bool
    has_accountable: bool


@dataclass
class TaskTable:
    partners: list[Partner]
    rows: list[TaskRow]
    without_responsible: list[Task]
    without_accountable: list[Task]
    partners_without_task: list[Partner]

    @property
    def warning_count(self) -> int:
        return len(self.without_responsible) + len(self.without_accountable) + len(self.partners_without_task)


def task_table_partners(*, user, partnership: Partnership) -> list[Partner]:
    """Columns: active and invited partners, and any other partner that still holds a task."""
    assigned = TaskAssignment.objects.filter(task__partnership=partnership).values("partner_id")
    return list(
        Partner.objects.filter(partnership=partnership, partnership__in=partnerships_for(user))
        .filter(Q(status__in=ASSIGNABLE_STATUSES) | Q(pk__in=assigned))
        .select_related("organisation")
        .order_by("organisation__name", "id")
    )


def task_table(*, user, partnership: Partnership) -> TaskTable:
    partners = task_table_partners(user=user, partnership=partnership)
    tasks = list(task_list(user=user, partnership=partnership))
    rows, busy = [], set()
    for task in tasks:
        given = {a.partner_id: a.raci for a in task.assignments.all()}
        busy.update(given)
        values = set(given.values())
        rows.append(
            TaskRow(
                task=task,
                cells=[(partner, given.get(partner.pk, "")) for partner in partners],
                has_responsible=Raci.RESPONSIBLE in values,
                has_accountable=Raci.ACCOUNTABLE in values,
            )
        )
    return TaskTable(
        partners=partners,
        rows=rows,
        without_responsible=[row.task for row in rows if not row.has_responsible],
        without_accountable=[row.task for row in rows if not row.has_accountable],
        partners_without_task=[p for p in partners if p.pk not in busy and p.status in ASSIGNABLE_STATUSES],
    )


def task_row(*, user, partnership: Partnership, task: Task) -> TaskRow:
    table = task_table(user=user, partnership=partnership)
    return next(row for row in table.rows if row.task.pk == task.pk)


# Exports (CSV) ------------------------------------------------------------------------------------


def tasks_csv(table: TaskTable) -> str:
    header = [_("Task"), _("Description")] + [p.organisation.name for p in table.partners]
    rows = [[row.task.title, row.task.description] + [raci for _p, raci in row.cells] for row in table.rows]
    return "".join(csv_lines([header, *rows]))


def seats_csv_rows(*, user, partnership: Partnership) -> list[list]:
    levels = dict(Level.choices)
    rows = []
    for seat in seat_list(user=user, partnership=partnership):
        body = seat.body
        rows.append(
            [
                body.name,
                str(levels.get(body.level, body.level)),
                body.parent.name if body.parent_id else "",
                seat.role_title,
                seat.partner.organisation.name,
                _person_label(seat.person) if seat.person_id else "",
                f"{seat.hours_per_month:.1f}",
                seat.mandate,
            ]
        )
    return rows


def seats_csv(rows: list[list]) -> str:
    header = [
        _("Body"),
        _("Level"),
        _("Reports to"),
        _("Role"),
        _("Organisation"),
        _("Person"),
        _("Hours per month"),
        _("Mandate"),
    ]
    return "".join(csv_lines([header, *rows]))


# The organogram -----------------------------------------------------------------------------------

FONT = 13  # the Svg default font size
CHAR_W = FONT * 0.58  # a generous estimate of the average glyph width of a sans-serif font (measured: ~0.52)
BOLD_W = FONT * 0.66
PAD = 10
MIN_BOX_W = 160
MAX_BOX_W = 320
HEAD_H = 30
SEAT_H = 34  # two lines per seat: role, then organisation and person
EMPTY_H = 20
GAP_X = 28  # between boxes in a row
ROW_GAP = 32  # between wrapped rows of one level
BAND_GAP = 32  # between levels
BAND_TOP = 28  # room for the level's name
BAND_BOTTOM = 14
MARGIN = 16
MAX_ROW_W = 1080  # wider rows wrap (the picture then fits the page at full size), so 15 bodies on one level stay readable


def hours_text(hours: Decimal) -> str:
    """``30`` or ``7.5`` (in the active language's number format)."""
    return number_format(hours, decimal_pos=0 if hours == hours.to_integral_value() else 1)


def truncate(text: str, width: float, char_w: float = CHAR_W) -> str:
    """``text`` cut to fit ``width`` pixels by the estimate, with an ellipsis when cut."""
    text = " ".join(str(text).split())
    fits = max(1, int(width // char_w))
    return text if len(text) <= fits else text[: fits - 1].rstrip() + "…"


def _seat_lines(seat: Seat) -> tuple[str, str]:
    second = seat.partner.organisation.name
    if seat.person_id:
        second = f"{second} · {_person_label(seat.person)}"
    return seat.role_title, second


@dataclass
class Box:
    body: Body
    x: float
    y: float
    w: float
    h: float
    lane: float  # y of the free lane just above this box's row, where reporting lines run across
    row_bottom: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass
class Band:
    level: str
    label: str
    y: float
    h: float


@dataclass
class Layout:
    width: float
    height: float
    boxes: dict[int, Box]
    bands: list[Band]


def _box_size(body: Body) -> tuple[float, float]:
    widths = [len(body.name) * BOLD_W]
    seats = list(body.seats.all())
    for seat in seats:
        role, second = _seat_lines(seat)
        widths += [len(role) * BOLD_W, len(second) * CHAR_W]
    w = min(MAX_BOX_W, max(MIN_BOX_W, math.ceil(max(widths) + 2 * PAD)))
    h = HEAD_H + (len(seats) * SEAT_H if seats else EMPTY_H) + PAD / 2
    return w, h


def _tree_order(bodies: list[Body]) -> list[Body]:
    """Depth-first through the reporting lines, so children sit roughly below their parents."""
    ordered: list[Body] = []

    def walk(node: TreeNode):
        ordered.append(node.body)
        for child in node.children:
            walk(child)

    for root in _tree(bodies):
        walk(root)
    return ordered


def organogram_layout(bodies: list[Body]) -> Layout:
    """Boxes per level band (board, operational, stakeholders, top to bottom); within a band left to
    right in the order of the reporting tree, wrapping at ``MAX_ROW_W``; every row centred."""
    ordered = _tree_order(bodies)
    sizes = {body.pk: _box_size(body) for body in ordered}
    band_rows: list[tuple[str, str, list[list[Body]]]] = []
    for level in LEVEL_ORDER:
        rows: list[list[Body]] = []
        current: list[Body] = []
        used = 0.0
        for body in (b for b in ordered if b.level == level.value):
            w = sizes[body.pk][0]
            if current and used + GAP_X + w > MAX_ROW_W:
                rows.append(current)
                current, used = [], 0.0
            used += (GAP_X if current else 0) + w
            current.append(body)
        if current:
            rows.append(current)
        if rows:
            band_rows.append((level.value, str(level.label), rows))

    def row_width(row):
        return sum(sizes[b.pk][0] for b in row) + GAP_X * (len(row) - 1)

    inner = max([row_width(row) for _level, _label, rows in band_rows for row in rows] or [MIN_BOX_W])
    width = max(inner + 2 * MARGIN, 360)
    boxes: dict[int, Box] = {}
    bands: list[Band] = []
    y = MARGIN
    for level, label, rows in band_rows:
        band_top = y
        y += BAND_TOP
        for index, row in enumerate(rows):
            lane = band_top - BAND_GAP / 2 if index == 0 else y - ROW_GAP / 2
            row_h = max(sizes[b.pk][1] for b in row)
            x = (width - row_width(row)) / 2
            for body in row:
                w, h = sizes[body.pk]
                boxes[body.pk] = Box(body, x, y, w, h, lane=lane, row_bottom=y + row_h)
                x += w + GAP_X
            y += row_h + (ROW_GAP if index < len(rows) - 1 else BAND_BOTTOM)
        bands.append(Band(level, label, band_top, y - band_top))
        y += BAND_GAP
    height = max(y - BAND_GAP + MARGIN, 120)
    return Layout(width=width, height=height, boxes=boxes, bands=bands)


def organogram_svg(structure: Structure, *, partnership: Partnership) -> Svg:
    bodies = structure.bodies
    layout = organogram_layout(bodies)
    levels = dict(Level.choices)
    desc = _(
        "Organogram of %(partnership)s (bodies: %(bodies)s, seats: %(seats)s). Management and board on top, "
        "operational bodies in the middle, related stakeholders below; lines show who reports to whom. "
        "The same structure is available as a nested list."
    ) % {"partnership": partnership.name, "bodies": len(bodies), "seats": structure.seat_count}
    picture = Svg(
        width=layout.width,
        height=layout.height,
        title=_("Organogram of %(partnership)s") % {"partnership": partnership.name},
        desc=desc,
        css_class="picture organogram",
    )
    picture.rect(0, 0, layout.width, layout.height, fill="#ffffff")
    if not bodies:
        picture.text(MARGIN, MARGIN + 20, _("No bodies yet."), fill=COLOURS["muted"])
        return picture
    for band in layout.bands:
        picture.rect(
            MARGIN / 2,
            band.y,
            layout.width - MARGIN,
            band.h,
            fill=COLOURS["surface"],
            rx=6,
            ry=6,
            css_class="organogram-band",
            **{"data-band": band.level},
        )
    # Reporting lines under the boxes, running across in the free lane above the lower box's row.
    for box in layout.boxes.values():
        parent = layout.boxes.get(box.body.parent_id)
        if parent is None:
            continue
        if box.y >= parent.bottom:  # below its parent (the usual case)
            points = [(parent.cx, parent.bottom), (parent.cx, box.lane), (box.cx, box.lane), (box.cx, box.y)]
        elif box.bottom <= parent.y:  # above its parent
            points = [
                (parent.cx, parent.y),
                (parent.cx, parent.lane),
                (box.cx, parent.lane),
                (box.cx, box.bottom),
            ]
        else:  # in the same row: below both boxes
            low = box.row_bottom + BAND_BOTTOM / 2
            points = [(parent.cx, parent.bottom), (parent.cx, low), (box.cx, low), (box.cx, box.bottom)]
        picture.polyline(
            [(round(x, 1), round(y, 1)) for x, y in points],
            fill="none",
            stroke=COLOURS["line"],
            stroke_width=2,
            css_class="organogram-line",
            **{"data-parent": str(parent.body.code), "data-child": str(box.body.code)},
        )
    # Level names on top of the lines (a white halo keeps them readable where a line crosses).
    for band in layout.bands:
        picture.text(
            MARGIN,
            round(band.y + 19, 1),
            band.label,
            fill=COLOURS["muted"],
            font_weight="600",
            stroke="#ffffff",
            stroke_width=4,
            paint_order="stroke",
            **{"data-level-label": band.level},
        )
    for box in layout.boxes.values():
        _draw_body(picture, box, parent=layout.boxes.get(box.body.parent_id), level=levels)
    return picture


def _draw_body(picture: Svg, box: Box, *, parent: Box | None, level: dict) -> None:
    body = box.body
    text_w = box.w - 2 * PAD
    summary = _("%(name)s (%(level)s)") % {"name": body.name, "level": level.get(body.level, body.level)}
    if parent is not None:
        summary += ". " + _("Reports to %(parent)s") % {"parent": parent.body.name}
    if body.mandate:
        summary += ". " + _("Mandate: %(mandate)s") % {"mandate": " ".join(body.mandate.split())}
    picture.group_start(
        css_class="organogram-body", **{"data-body": str(body.code), "data-level": body.level}
    )
    picture.titled(summary)
    picture.rect(
        round(box.x, 1),
        round(box.y, 1),
        box.w,
        round(box.h, 1),
        fill="#ffffff",
        stroke=COLOURS["brand"],
        stroke_width=2,
        rx=4,
        ry=4,
    )
    picture.text(
        round(box.x + PAD, 1),
        round(box.y + 20, 1),
        truncate(body.name, text_w, BOLD_W),
        fill=COLOURS["brand"],
        font_weight="700",
    )
    picture.line(
        round(box.x, 1),
        round(box.y + HEAD_H - 4, 1),
        round(box.x + box.w, 1),
        round(box.y + HEAD_H - 4, 1),
        stroke=COLOURS["brand"],
        stroke_width=1,
    )
    y = box.y + HEAD_H
    seats = list(body.seats.all())
    if not seats:
        picture.text(round(box.x + PAD, 1), round(y + 13, 1), _("No seats yet"), fill=COLOURS["muted"])
    for seat in seats:
        role, second = _seat_lines(seat)
        full = _("%(role)s: %(who)s") % {"role": role, "who": second}
        if seat.hours_per_month:
            full += " " + _("(hours per month: %(hours)s)") % {"hours": hours_text(seat.hours_per_month)}
        picture.group_start(css_class="organogram-seat", **{"data-seat": str(seat.code)})
        picture.titled(full)
        picture.text(
            round(box.x + PAD, 1),
            round(y + 13, 1),
            truncate(role, text_w, BOLD_W),
            fill=COLOURS["text"],
            font_weight="600",
        )
        picture.text(
            round(box.x + PAD, 1),
            round(y + 28, 1),
            truncate(second, text_w),
            fill=COLOURS["muted"],
        )
        picture.group_end()
        y += SEAT_H
    picture.group_end()


def organogram_standalone(picture: Svg) -> str:
    """The picture as a file of its own: XML declaration first."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + str(picture.render()) + "\n"


# Downloads ----------------------------------------------------------------------------------------


@dataclass
class Export:
    content: str
    content_type: str
    filename: str
    fmt: str
    rows: int


def structure_export(*, user, partnership: Partnership, kind: str) -> Export:
    """The organogram (SVG), the task table or the seat list (CSV) as a file. The caller records the
    disclosure with ``services.structure.structure_record_export``."""
    stamp = f"{partnership.code}-{clock.now():%Y%m%d}"
    if kind == "organogram":
        structure = structure_overview(user=user, partnership=partnership)
        picture = organogram_svg(structure, partnership=partnership)
        return Export(
            organogram_standalone(picture),
            "image/svg+xml; charset=utf-8",
            f"safepact-organogram-{stamp}.svg",
            "svg",
            len(structure.bodies),
        )
    if kind == "tasks":
        table = task_table(user=user, partnership=partnership)
        return Export(
            tasks_csv(table), "text/csv; charset=utf-8", f"safepact-tasks-{stamp}.csv", "csv", len(table.rows)
        )
    if kind == "seats":
        rows = seats_csv_rows(user=user, partnership=partnership)
        return Export(
            seats_csv(rows), "text/csv; charset=utf-8", f"safepact-seats-{stamp}.csv", "csv", len(rows)
        )
    raise Http404
