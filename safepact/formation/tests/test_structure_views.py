"""The structure pages: the role matrix on every view, what each persona sees, the management forms,
the task table (per cell with HTMX, the whole table without JavaScript), downloads, query counts."""

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.formation.models import Body, Level, Seat, Task, TaskAssignment
from safepact.formation.services import structure as services
from safepact.formation.tests.structure_data import build, make_structure, partner_b

NS = {"svg": "http://www.w3.org/2000/svg"}


def url(name, world, *args):
    return reverse(f"formation:{name}", args=[world.partnership_a.code, *args])


# The role matrix ------------------------------------------------------------------------------------


def views(world, d):
    return {
        "structure": ("get", url("structure", world), None, "read"),
        "organogram svg": ("get", url("structure_organogram_svg", world), None, "read"),
        "seats csv": ("get", url("structure_seats_csv", world), None, "read"),
        "tasks": ("get", url("structure_tasks", world), None, "read"),
        "tasks csv": ("get", url("structure_tasks_csv", world), None, "read"),
        "body new": (
            "post",
            url("structure_body_new", world),
            {
                "body-new-name": "Advisory board",
                "body-new-level": "stakeholder",
                "body-new-parent": str(d.board.code),
            },
            "manage",
        ),
        "body edit": (
            "post",
            url("structure_body_edit", world, d.group.code),
            {f"body-{d.group.code}-name": "Tenants' panel", f"body-{d.group.code}-level": "stakeholder"},
            "manage",
        ),
        "body delete": ("post", url("structure_body_delete", world, d.group.code), {}, "manage"),
        "seat new": (
            "post",
            url("structure_seat_new", world, d.group.code),
            {
                f"seat-new-{d.group.code}-partner": str(d.shop.code),
                f"seat-new-{d.group.code}-person": str(world.viewer.code),
                f"seat-new-{d.group.code}-role_title": "Member",
                f"seat-new-{d.group.code}-hours_per_month": "2",
            },
            "manage",
        ),
        "seat edit": (
            "post",
            url("structure_seat_edit", world, d.chair.code),
            {
                f"seat-{d.chair.code}-partner": str(d.police.code),
                f"seat-{d.chair.code}-role_title": "Vice chair",
                f"seat-{d.chair.code}-hours_per_month": "4",
            },
            "manage",
        ),
        "seat delete": ("post", url("structure_seat_delete", world, d.chair.code), {}, "manage"),
        "task new": (
            "post",
            url("structure_task_new", world),
            {"task-new-title": "Lighting audit"},
            "manage",
        ),
        "task edit": (
            "post",
            url("structure_task_edit", world, d.task_report.code),
            {f"task-{d.task_report.code}-title": "Half-year report"},
            "manage",
        ),
        "task delete": ("post", url("structure_task_delete", world, d.task_report.code), {}, "manage"),
        "task cell": (
            "post",
            url("structure_task_cell", world, d.task_report.code, d.shop.code),
            {"raci": "I"},
            "manage",
        ),
        "task grid": (
            "post",
            url("structure_task_grid", world),
            {f"cell-{d.task_report.code}-{d.shop.code}": "I"},
            "manage",
        ),
    }


VIEWS = [
    "structure",
    "organogram svg",
    "seats csv",
    "tasks",
    "tasks csv",
    "body new",
    "body edit",
    "body delete",
    "seat new",
    "seat edit",
    "seat delete",
    "task new",
    "task edit",
    "task delete",
    "task cell",
    "task grid",
]


def expected_status(persona, method, need):
    if persona == "anonymous":
        return 302
    if persona in ("outsider", "coordinator_b"):
        return 404
    if need == "manage" and persona != "coordinator":
        return 403
    return 200 if method == "get" else 302


@pytest.mark.parametrize(
    "persona", ["anonymous", "outsider", "coordinator_b", "viewer", "member", "coordinator"]
)
@pytest.mark.parametrize("name", VIEWS)
def test_role_matrix(client, world, persona, name):
    data = build(world)
    method, path, body, need = views(world, data)[name]
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    before = AuditEvent.objects.count()
    response = getattr(client, method)(path, body) if method == "post" else client.get(path)
    expected = expected_status(persona, method, need)
    assert response.status_code == expected, response.content[:2000]
    if persona == "anonymous":
        assert response.url.startswith(reverse("accounts:login"))
    written = AuditEvent.objects.count() - before
    if persona != "coordinator" and expected != 200:
        assert written == 0, "a refused request changes nothing"
    elif method == "post":
        assert written > 0, "every write leaves an audit event"
    elif "csv" in name or "svg" in name:
        assert written == 1, "a download is recorded as a disclosure"
    else:
        assert written == 0


def test_get_on_a_write_view_is_refused(client_for, world):
    data = build(world)
    client = client_for(world.coordinator)
    assert client.get(url("structure_body_delete", world, data.group.code)).status_code == 405
    assert Body.objects.filter(pk=data.group.pk).exists()


def test_objects_of_another_partnership_are_404(client_for, world):
    data = build(world)
    body_b = services.body_create(
        actor=world.coordinator_b, partnership=world.partnership_b, name="Board B", level="board"
    )
    client = client_for(world.coordinator)
    # B's body under A's code, and A's body under B's code.
    assert client.post(url("structure_body_delete", world, body_b.code)).status_code == 404
    other = reverse("formation:structure_body_delete", args=[world.partnership_b.code, data.group.code])
    assert client.post(other).status_code == 404
    cell = url("structure_task_cell", world, data.task_report.code, partner_b(world).code)
    assert client.post(cell, {"raci": "I"}).status_code == 404
    assert Body.objects.count() == 4


# The structure page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_members_and_viewers_read_the_structure_without_controls(client_for, world, persona):
    data = build(world)
    response = client_for(getattr(world, persona)).get(url("structure", world))
    body = response.content.decode()
    for text in (
        "Steering board",
        "Operational team",
        "Tenants&#x27; working group",
        "Mats Member",
        "Polisen Malmö",
    ):
        assert text in body
    assert url("structure_body_new", world) not in body
    assert "/delete/" not in body
    assert f'data-body="{data.board.code}"' in body  # in the picture and the list
    assert url("structure_organogram_svg", world) in body


def test_coordinator_page_has_picture_list_time_and_forms(client_for, world):
    data = build(world)
    response = client_for(world.coordinator).get(url("structure", world))
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index("<svg")
    svg = ET.fromstring(html[start : html.index("</svg>", start) + 6])
    drawn = {g.get("data-body") for g in svg.iter(f"{{{NS['svg']}}}g") if g.get("data-body")}
    assert drawn == {str(data.board.code), str(data.team.code), str(data.group.code)}
    # The nested list: the group is inside the team, which is inside the board.
    board_li = html.index(f'<li data-body="{data.board.code}"')
    team_li = html.index(f'<li data-body="{data.team.code}"')
    group_li = html.index(f'<li data-body="{data.group.code}"')
    assert board_li < team_li < group_li
    assert 'id="time-partners"' in html and 'id="time-people"' in html
    assert url("structure_body_new", world) in html
    assert url("structure_seat_new", world, data.group.code) in html
    assert 'for="id_body-new-name"' in html  # labelled inputs
    assert "Warning: more than" not in html


def test_time_warning_above_40_hours(client_for, world):
    data = build(world)
    services.seat_create(
        actor=world.coordinator,
        body=data.group,
        partner=data.city,
        person=world.member,
        role_title="Chair",
        hours_per_month=11,
    )
    html = client_for(world.viewer).get(url("structure", world)).content.decode()
    assert "Warning: more than 40 hours per month for one person." in html
    assert "Mats Member: 41 hours per month over 2 seats." in html


def test_add_a_body_and_a_seat_through_the_forms(client_for, world):
    data = build(world)
    client = client_for(world.coordinator)
    response = client.post(
        url("structure_body_new", world),
        {
            "body-new-name": "Advisory board",
            "body-new-level": "stakeholder",
            "body-new-parent": str(data.board.code),
        },
    )
    advisory = Body.objects.get(name="Advisory board")
    assert response.status_code == 302 and response.url.endswith(f"#manage-{advisory.code}")
    assert advisory.parent == data.board and advisory.level == Level.STAKEHOLDER
    prefix = f"seat-new-{advisory.code}"
    response = client.post(
        url("structure_seat_new", world, advisory.code),
        {
            f"{prefix}-partner": str(data.shop.code),
            f"{prefix}-person": str(world.viewer.code),
            f"{prefix}-role_title": "Adviser",
            f"{prefix}-hours_per_month": "2.5",
        },
    )
    assert response.status_code == 302
    seat = Seat.objects.get(body=advisory)
    assert seat.person == world.viewer and str(seat.hours_per_month) == "2.5"


def test_body_form_errors_name_the_field_and_store_nothing(client_for, world):
    build(world)
    client = client_for(world.coordinator)
    response = client.post(url("structure_body_new", world), {"body-new-name": "", "body-new-level": "board"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#id_body-new-name"' in html and "Name: This field is required." in html
    assert '<details class="card" open id="manage-new-body">' in html
    assert Body.objects.count() == 3


def test_cycle_through_the_page_is_refused(client_for, world):
    data = build(world)
    prefix = f"body-{data.board.code}"
    response = client_for(world.coordinator).post(
        url("structure_body_edit", world, data.board.code),
        {
            f"{prefix}-name": "Steering board",
            f"{prefix}-level": "board",
            f"{prefix}-parent": str(data.group.code),
        },
    )
    assert response.status_code == 400
    assert "Reports to: Select a valid choice." in response.content.decode()
    data.board.refresh_from_db()
    assert data.board.parent is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("partner_b", "Organisation: Select a valid choice."),
        ("person_b", "Person: Select a valid choice."),
        ("wrong_partner", "Mats Member is not an active member of this partnership for Polisen Malmö."),
        ("hours", "Hours per month: Ensure this value is less than or equal to 200."),
    ],
)
def test_seat_form_errors(client_for, world, change, message):
    data = build(world)
    prefix = f"seat-new-{data.group.code}"
    post = {
        f"{prefix}-partner": str(data.city.code),
        f"{prefix}-role_title": "Member",
        f"{prefix}-hours_per_month": "2",
    }
    if change == "partner_b":
        post[f"{prefix}-partner"] = str(partner_b(world).code)
    elif change == "person_b":
        post[f"{prefix}-person"] = str(world.coordinator_b.code)
    elif change == "wrong_partner":
        post[f"{prefix}-partner"] = str(data.police.code)
        post[f"{prefix}-person"] = str(world.member.code)
    else:
        post[f"{prefix}-hours_per_month"] = "201"
    before = AuditEvent.objects.count()
    response = client_for(world.coordinator).post(url("structure_seat_new", world, data.group.code), post)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Seat.objects.filter(body=data.group).exists()
    assert AuditEvent.objects.count() == before


def test_seat_edit_and_delete(client_for, world):
    data = build(world)
    client = client_for(world.coordinator)
    prefix = f"seat-{data.chair.code}"
    response = client.post(
        url("structure_seat_edit", world, data.chair.code),
        {
            f"{prefix}-partner": str(data.police.code),
            f"{prefix}-person": "",
            f"{prefix}-role_title": "Vice chair",
            f"{prefix}-hours_per_month": "",
        },
    )
    assert response.status_code == 302
    data.chair.refresh_from_db()
    assert (data.chair.role_title, data.chair.person, data.chair.hours_per_month) == ("Vice chair", None, 0)
    assert client.post(url("structure_seat_delete", world, data.chair.code)).status_code == 302
    assert not Seat.objects.filter(pk=data.chair.pk).exists()


@pytest.mark.parametrize("name", ["structure", "structure_tasks"])
@pytest.mark.parametrize("persona", ["coordinator", "viewer"])
def test_query_count_is_constant(client_for, world, django_assert_max_num_queries, name, persona):
    client = client_for(getattr(world, persona))
    make_structure(world, 2)
    with django_assert_max_num_queries(8) as few:
        assert client.get(url(name, world)).status_code == 200
    make_structure(world, 10)
    assert Body.objects.count() == 12 and Task.objects.count() == 12
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url(name, world)).status_code == 200


# The task table -----------------------------------------------------------------------------------


def test_task_table_for_readers(client_for, world):
    data = build(world)
    html = client_for(world.viewer).get(url("structure_tasks", world)).content.decode()
    assert "Evening patrols" in html and "Quarterly report" in html
    assert 'name="cell-' not in html and url("structure_task_grid", world) not in html
    assert '<span class="visually-hidden">Accountable</span>' in html
    assert "Tasks without an accountable partner: Quarterly report." in html
    assert "Partners with no task at all: Sofielund Fastighetsägare." in html
    assert f'id="task-flags-{data.task_report.code}"' in html


def test_task_table_for_the_coordinator_has_labelled_selects(client_for, world):
    data = build(world)
    html = client_for(world.coordinator).get(url("structure_tasks", world)).content.decode()
    name = f"cell-{data.task_patrol.code}-{data.police.code}"
    assert (
        f'<label class="visually-hidden" for="{name}">Role of Polisen Malmö in Evening patrols</label>'
        in html
    )
    assert f'<select id="{name}" name="{name}"' in html
    assert (
        'hx-post="' + url("structure_task_cell", world, data.task_patrol.code, data.police.code) + '"' in html
    )
    assert '<option value="A" selected>A: Accountable</option>' in html
    assert f'action="{url("structure_task_grid", world)}"' in html


def test_cell_with_htmx_saves_and_returns_the_cell_and_warnings(client_for, world):
    data = build(world)
    client = client_for(world.coordinator)
    name = f"cell-{data.task_report.code}-{data.shop.code}"
    response = client.post(
        url("structure_task_cell", world, data.task_report.code, data.shop.code),
        {name: "A", f"cell-{data.task_report.code}-{data.city.code}": "R"},  # htmx sends the whole form
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert TaskAssignment.objects.get(task=data.task_report, partner=data.shop).raci == "A"
    assert '<option value="A" selected>' in html
    assert 'id="task-warnings" hx-swap-oob="innerHTML"' in html
    assert "Every task has a responsible and an accountable partner, and every partner has a task." in html
    assert "Saved: Sofielund Fastighetsägare is Accountable for Quarterly report." in html
    event = AuditEvent.objects.filter(action="formation.assignment.changed").latest("seq")
    assert event.after["raci"] == "A"


def test_second_accountable_with_htmx_is_refused_naming_the_task(client_for, world):
    data = build(world)
    client = client_for(world.coordinator)
    name = f"cell-{data.task_patrol.code}-{data.city.code}"
    before = AuditEvent.objects.count()
    response = client.post(
        url("structure_task_cell", world, data.task_patrol.code, data.city.code),
        {name: "A"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200  # htmx swaps only 2xx answers
    html = response.content.decode()
    assert "Task Evening patrols already has an accountable partner (Polisen Malmö)" in html
    assert f'aria-describedby="{name}-error"' in html
    assert '<option value="R" selected>' in html  # the cell shows what is stored
    assert TaskAssignment.objects.get(task=data.task_patrol, partner=data.city).raci == "R"
    assert AuditEvent.objects.count() == before


def test_cell_without_javascript_redirects_with_a_message(client_for, world):
    data = build(world)
    client = client_for(world.coordinator)
    response = client.post(
        url("structure_task_cell", world, data.task_patrol.code, data.city.code), {"raci": "A"}, follow=True
    )
    assert "Task Evening patrols already has an accountable partner" in response.content.decode()
    response = client.post(
        url("structure_task_cell", world, data.task_patrol.code, data.city.code), {"raci": "X"}
    )
    assert response.status_code == 302
    assert TaskAssignment.objects.get(task=data.task_patrol, partner=data.city).raci == "R"


def test_grid_submit_moves_accountable_and_reports_conflicts(client_for, world):
    data = build(world)
    client = client_for(world.coordinator)
    cell = lambda task, partner: f"cell-{task.code}-{partner.code}"  # noqa: E731
    response = client.post(
        url("structure_task_grid", world),
        {
            cell(data.task_patrol, data.police): "R",
            cell(data.task_patrol, data.city): "A",
            cell(data.task_patrol, data.shop): "",
        },
    )
    assert response.status_code == 302
    roles = dict(TaskAssignment.objects.filter(task=data.task_patrol).values_list("partner_id", "raci"))
    assert roles == {data.police.pk: "R", data.city.pk: "A"}
    before = AuditEvent.objects.count()
    response = client.post(
        url("structure_task_grid", world),
        {
            cell(data.task_report, data.city): "A",
            cell(data.task_report, data.shop): "A",
            cell(data.task_patrol, data.shop): "I",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Task Quarterly report already has an accountable partner" in html
    assert "The task table was not saved" in html
    assert AuditEvent.objects.count() == before
    assert not TaskAssignment.objects.filter(partner=data.shop).exists()


def test_task_forms(client_for, world):
    data = build(world)
    client = client_for(world.coordinator)
    response = client.post(url("structure_task_new", world), {"task-new-title": ""})
    assert response.status_code == 400 and "Task: This field is required." in response.content.decode()
    response = client.post(
        url("structure_task_new", world),
        {"task-new-title": "Lighting audit", "task-new-description": "At night."},
    )
    assert response.status_code == 302 and Task.objects.filter(title="Lighting audit").exists()
    prefix = f"task-{data.task_report.code}"
    response = client.post(
        url("structure_task_edit", world, data.task_report.code), {f"{prefix}-title": "x" * 201}
    )
    assert response.status_code == 400
    assert "Ensure this value has at most 200 characters" in response.content.decode()
    assert client.post(url("structure_task_delete", world, data.task_report.code)).status_code == 302
    assert not Task.objects.filter(pk=data.task_report.pk).exists()


# Downloads ---------------------------------------------------------------------------------------------


def test_csv_downloads_defuse_formulas_and_are_audited(client_for, world):
    data = build(world)
    services.task_update(actor=world.coordinator, task=data.task_report, title="=cmd()", description="+1")
    services.seat_update(actor=world.coordinator, seat=data.chair, role_title="@SUM(A1)", mandate="-2")
    client = client_for(world.viewer)
    response = client.get(url("structure_tasks_csv", world))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="safepact-tasks-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Task", "Description", "Malmö stad", "Polisen Malmö", "Sofielund Fastighetsägare"]
    assert rows[1] == ["Evening patrols", "", "R", "A", ""]
    assert rows[2] == ["'=cmd()", "'+1", "R", "", ""]
    response = client.get(url("structure_seats_csv", world))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["Body", "Level", "Reports to", "Role"]
    chair = next(row for row in rows if row[0] == "Steering board")
    assert chair == [
        "Steering board",
        "Management / board",
        "",
        "'@SUM(A1)",
        "Polisen Malmö",
        "Cora Coordinator",
        "8.0",
        "'-2",
    ]
    assert len(rows) == 4
    events = AuditEvent.objects.filter(action="formation.structure.exported").order_by("seq")
    assert [e.after for e in events] == [
        {"export": "tasks", "format": "csv", "rows": 2},
        {"export": "seats", "format": "csv", "rows": 3},
    ]
    assert events[0].actor_code == str(world.viewer.code)


def test_organogram_download(client_for, world):
    data = build(world)
    response = client_for(world.member).get(url("structure_organogram_svg", world))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Content-Disposition"].endswith('.svg"')
    text = response.content.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(response.content)
    seats = {g.get("data-seat") for g in root.iter(f"{{{NS['svg']}}}g") if g.get("data-seat")}
    assert seats == {str(data.chair.code), str(data.city_seat.code), str(data.coordinator_seat.code)}
    assert AuditEvent.objects.get(action="formation.structure.exported").after["export"] == "organogram"


@pytest.mark.parametrize("name", ["structure", "structure_tasks"])
def test_ids_are_unique_on_the_page(client_for, world, name):
    """Labels, error links and HTMX targets rely on ids: none may appear twice."""
    build(world)
    html = client_for(world.coordinator).get(url(name, world)).content.decode()
    counts = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert [i for i, n in counts.items() if n > 1] == []
