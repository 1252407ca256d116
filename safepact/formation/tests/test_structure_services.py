"""Structure services: bodies (no cycles), seats (partner and person of this partnership), tasks and the
one-Accountable rule, the task table's warnings, time commitment, audit events."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.formation.models import Body, Level, Seat, Task, TaskAssignment
from safepact.formation.selectors import structure as selectors
from safepact.formation.services import structure as services
from safepact.formation.tests.structure_data import build, partner_b, partners_of
from safepact.partnerships.models import PartnerStatus


def actions(partnership):
    return list(
        AuditEvent.objects.filter(partnership_code=str(partnership.code))
        .order_by("seq")
        .values_list("action", flat=True)
    )


# Bodies ---------------------------------------------------------------------------------------------


def test_body_create_is_audited_with_its_fields(world):
    a = world.partnership_a
    body = services.body_create(
        actor=world.coordinator, partnership=a, name="  Steering board ", level="board", mandate="Decides."
    )
    assert body.name == "Steering board" and body.position == 0
    event = AuditEvent.objects.get(action="formation.body.created", target_code=str(body.code))
    assert event.partnership_code == str(a.code)
    assert event.after == {
        "name": "Steering board",
        "level": "board",
        "parent": None,
        "mandate": "Decides.",
        "position": 0,
    }
    second = services.body_create(
        actor=world.coordinator, partnership=a, name="Advisory board", level="board"
    )
    assert second.position == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "  ", "level": "board"}, "name"),
        ({"name": "X", "level": "boss"}, "level"),
        ({"name": "x" * 201, "level": "board"}, "name"),
    ],
)
def test_body_bad_input_names_the_field_and_stores_nothing(world, kwargs, field):
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.body_create(actor=world.coordinator, partnership=world.partnership_a, **kwargs)
    assert field in exc.value.message_dict
    assert not Body.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_cycle_is_refused_naming_the_parent(world):
    data = build(world)
    # board <- team <- group; making the board report to the group would close a loop.
    with pytest.raises(ValidationError) as exc:
        services.body_update(actor=world.coordinator, body=data.board, parent=data.group)
    message = exc.value.message_dict["parent"][0]
    assert "Steering board" in message and "Tenants' working group" in message
    data.board.refresh_from_db()
    assert data.board.parent_id is None
    with pytest.raises(ValidationError) as exc:
        services.body_update(actor=world.coordinator, body=data.team, parent=data.team)
    assert "parent" in exc.value.message_dict
    # A legal move is fine and audited with before and after.
    services.body_update(actor=world.coordinator, body=data.group, parent=data.board)
    event = AuditEvent.objects.filter(action="formation.body.updated").latest("seq")
    assert event.before == {"parent": str(data.team.code)} and event.after == {"parent": str(data.board.code)}


def test_parent_of_another_partnership_is_refused(world):
    other = services.body_create(
        actor=world.coordinator_b, partnership=world.partnership_b, name="Board B", level="board"
    )
    with pytest.raises(ValidationError) as exc:
        services.body_create(
            actor=world.coordinator, partnership=world.partnership_a, name="X", level="board", parent=other
        )
    assert "parent" in exc.value.message_dict


def test_deleting_a_body_reattaches_its_children_and_removes_its_seats(world):
    data = build(world)
    services.body_delete(actor=world.coordinator, body=data.team)
    data.group.refresh_from_db()
    assert data.group.parent_id == data.board.pk
    assert not Seat.objects.filter(pk=data.city_seat.pk).exists()
    event = AuditEvent.objects.get(action="formation.body.deleted")
    assert event.before["seats"] == 2 and event.before["children"] == [str(data.group.code)]


@pytest.mark.parametrize("persona", ["member", "viewer", "outsider", "coordinator_b"])
def test_only_coordinators_write(world, persona):
    data = build(world)
    actor = getattr(world, persona)
    expected = PermissionDenied if persona in ("member", "viewer") else Http404
    calls = [
        lambda: services.body_create(actor=actor, partnership=world.partnership_a, name="X", level="board"),
        lambda: services.body_update(actor=actor, body=data.board, name="Y"),
        lambda: services.body_delete(actor=actor, body=data.group),
        lambda: services.seat_create(actor=actor, body=data.board, partner=data.city, role_title="Member"),
        lambda: services.seat_update(actor=actor, seat=data.chair, role_title="Vice chair"),
        lambda: services.seat_delete(actor=actor, seat=data.chair),
        lambda: services.task_create(actor=actor, partnership=world.partnership_a, title="T"),
        lambda: services.task_update(actor=actor, task=data.task_report, title="T2"),
        lambda: services.task_delete(actor=actor, task=data.task_report),
        lambda: services.assignment_set(actor=actor, task=data.task_report, partner=data.shop, raci="I"),
    ]
    before = AuditEvent.objects.count()
    for call in calls:
        with pytest.raises(expected):
            call()
    assert AuditEvent.objects.count() == before


# Seats --------------------------------------------------------------------------------------------


def test_seat_with_person_of_another_partnership_names_the_person_field(world):
    data = build(world)
    with pytest.raises(ValidationError) as exc:
        services.seat_create(
            actor=world.coordinator,
            body=data.board,
            partner=data.city,
            person=world.coordinator_b,
            role_title="X",
        )
    assert list(exc.value.message_dict) == ["person"]
    assert "Bram Coordinator" in exc.value.message_dict["person"][0]


def test_seat_person_must_be_a_member_through_that_partner(world):
    data = build(world)
    # The member belongs to the city, not to the police.
    with pytest.raises(ValidationError) as exc:
        services.seat_create(
            actor=world.coordinator, body=data.board, partner=data.police, person=world.member, role_title="X"
        )
    assert "Polisen Malmö" in exc.value.message_dict["person"][0]
    # Changing a seat's partner re-checks its person.
    with pytest.raises(ValidationError) as exc:
        services.seat_update(actor=world.coordinator, seat=data.city_seat, partner=data.police)
    assert "person" in exc.value.message_dict
    services.seat_update(
        actor=world.coordinator, seat=data.city_seat, partner=data.police, person=world.coordinator
    )


def test_seat_partner_of_another_partnership_or_withdrawn_is_refused(world):
    data = build(world)
    with pytest.raises(ValidationError) as exc:
        services.seat_create(
            actor=world.coordinator, body=data.board, partner=partner_b(world), role_title="X"
        )
    assert "partner" in exc.value.message_dict
    data.shop.status = PartnerStatus.WITHDRAWN
    data.shop.save()
    with pytest.raises(ValidationError) as exc:
        services.seat_create(actor=world.coordinator, body=data.board, partner=data.shop, role_title="X")
    assert "withdrawn" in exc.value.message_dict["partner"][0]


def test_suspended_membership_cannot_fill_a_seat(world):
    data = build(world)
    membership = world.membership_member
    membership.status = "suspended"
    membership.save()
    with pytest.raises(ValidationError) as exc:
        services.seat_create(
            actor=world.coordinator, body=data.group, partner=data.city, person=world.member, role_title="X"
        )
    assert "person" in exc.value.message_dict


@pytest.mark.parametrize(
    ("hours", "ok"),
    [(0, True), ("7.5", True), (200, True), (-1, False), ("200.1", False), ("7.25", False), ("lots", False)],
)
def test_seat_hours_between_0_and_200(world, hours, ok):
    data = build(world)
    call = lambda: services.seat_create(  # noqa: E731
        actor=world.coordinator,
        body=data.group,
        partner=data.shop,
        role_title="Member",
        hours_per_month=hours,
    )
    if ok:
        assert call().hours_per_month == Decimal(str(hours))
    else:
        with pytest.raises(ValidationError) as exc:
            call()
        assert "hours_per_month" in exc.value.message_dict


def test_seat_changes_are_audited(world):
    data = build(world)
    services.seat_update(actor=world.coordinator, seat=data.chair, role_title="Vice chair", hours_per_month=4)
    event = AuditEvent.objects.filter(action="formation.seat.updated").latest("seq")
    assert event.before == {"role_title": "Chair", "hours_per_month": "8.0"}
    assert event.after == {"role_title": "Vice chair", "hours_per_month": "4.0"}
    services.seat_delete(actor=world.coordinator, seat=data.chair)
    assert actions(world.partnership_a)[-1] == "formation.seat.deleted"


# Tasks and RACI -------------------------------------------------------------------------------------


def test_one_accountable_per_task_names_the_task(world):
    data = build(world)  # the police is accountable for the patrols
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.assignment_set(actor=world.coordinator, task=data.task_patrol, partner=data.city, raci="A")
    message = exc.value.message_dict["raci"][0]
    assert "Evening patrols" in message and "Polisen Malmö" in message
    assert exc.value.error_dict["raci"][0].code == "one_accountable"
    assert TaskAssignment.objects.get(task=data.task_patrol, partner=data.city).raci == "R"
    assert AuditEvent.objects.count() == before
    # Taking A away first makes room.
    services.assignment_set(actor=world.coordinator, task=data.task_patrol, partner=data.police, raci="C")
    services.assignment_set(actor=world.coordinator, task=data.task_patrol, partner=data.city, raci="A")


def test_assignment_set_and_clear_are_audited(world):
    data = build(world)
    services.assignment_set(actor=world.coordinator, task=data.task_report, partner=data.shop, raci="i")
    event = AuditEvent.objects.filter(action="formation.assignment.changed").latest("seq")
    assert event.before["raci"] is None and event.after == {
        "partner": str(data.shop.code),
        "organisation": "Sofielund Fastighetsägare",
        "raci": "I",
    }
    assert (
        services.assignment_set(actor=world.coordinator, task=data.task_report, partner=data.shop, raci=None)
        is None
    )
    assert not TaskAssignment.objects.filter(task=data.task_report, partner=data.shop).exists()
    # Unchanged: no event.
    count = AuditEvent.objects.count()
    services.assignment_set(actor=world.coordinator, task=data.task_report, partner=data.shop, raci="")
    assert AuditEvent.objects.count() == count
    with pytest.raises(ValidationError) as exc:
        services.assignment_set(actor=world.coordinator, task=data.task_report, partner=data.shop, raci="X")
    assert "raci" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.assignment_set(
            actor=world.coordinator, task=data.task_report, partner=partner_b(world), raci="I"
        )
    assert "partner" in exc.value.message_dict


def test_grid_save_moves_accountable_in_one_go_or_saves_nothing(world):
    data = build(world)
    a = world.partnership_a
    errors = services.assignment_grid_save(
        actor=world.coordinator,
        partnership=a,
        changes=[(data.task_patrol, data.city, "A"), (data.task_patrol, data.police, "R")],
    )
    assert errors == {}
    roles = dict(TaskAssignment.objects.filter(task=data.task_patrol).values_list("partner_id", "raci"))
    assert roles == {data.city.pk: "A", data.police.pk: "R"}
    # Two accountables in one submission: nothing is saved.
    errors = services.assignment_grid_save(
        actor=world.coordinator,
        partnership=a,
        changes=[
            (data.task_report, data.city, "A"),
            (data.task_report, data.shop, "A"),
            (data.task_patrol, data.shop, "I"),
        ],
    )
    assert list(errors) == [(data.task_report.code, data.shop.code)]
    assert "Quarterly report" in errors[(data.task_report.code, data.shop.code)]
    assert TaskAssignment.objects.get(task=data.task_report, partner=data.city).raci == "R"
    assert not TaskAssignment.objects.filter(partner=data.shop).exists()


def test_task_crud_is_audited(world):
    a = world.partnership_a
    task = services.task_create(actor=world.coordinator, partnership=a, title=" Lighting audit ")
    assert task.title == "Lighting audit"
    services.task_update(actor=world.coordinator, task=task, description="Walk the streets at night.")
    services.task_delete(actor=world.coordinator, task=task)
    assert not Task.objects.exists()
    assert actions(a)[-3:] == ["formation.task.created", "formation.task.updated", "formation.task.deleted"]
    with pytest.raises(ValidationError) as exc:
        services.task_create(actor=world.coordinator, partnership=a, title="")
    assert "title" in exc.value.message_dict


def test_task_table_warnings(world):
    data = build(world)
    table = selectors.task_table(user=world.viewer, partnership=world.partnership_a)
    assert [p.organisation.name for p in table.partners] == [
        "Malmö stad",
        "Polisen Malmö",
        "Sofielund Fastighetsägare",
    ]
    # Patrols: R city, A police. Report: R city only. The shop has no task.
    assert table.without_responsible == []
    assert table.without_accountable == [data.task_report]
    assert table.partners_without_task == [data.shop]
    services.task_create(actor=world.coordinator, partnership=world.partnership_a, title="Newsletter")
    table = selectors.task_table(user=world.viewer, partnership=world.partnership_a)
    assert [t.title for t in table.without_responsible] == ["Newsletter"]
    assert [t.title for t in table.without_accountable] == ["Quarterly report", "Newsletter"]
    assert table.warning_count == 4
    services.assignment_set(actor=world.coordinator, task=data.task_report, partner=data.shop, raci="A")
    table = selectors.task_table(user=world.viewer, partnership=world.partnership_a)
    assert table.partners_without_task == []
    row = next(r for r in table.rows if r.task.pk == data.task_report.pk)
    assert [raci for _partner, raci in row.cells] == ["R", "", "A"]


def test_time_commitment_totals_and_threshold(world):
    data = build(world)
    structure = selectors.structure_overview(user=world.member, partnership=world.partnership_a)
    partners = {row.label: (row.seats, row.hours) for row in structure.partners}
    assert partners == {"Polisen Malmö": (2, Decimal(20)), "Malmö stad": (1, Decimal(30))}
    people = {row.label: (row.seats, row.hours, row.over) for row in structure.people}
    assert people == {"Cora Coordinator": (2, Decimal(20), False), "Mats Member": (1, Decimal(30), False)}
    assert structure.over_limit == []
    services.seat_create(
        actor=world.coordinator,
        body=data.group,
        partner=data.city,
        person=world.member,
        role_title="Chair",
        hours_per_month="10.5",
    )
    structure = selectors.structure_overview(user=world.member, partnership=world.partnership_a)
    [over] = structure.over_limit
    assert over.label == "Mats Member" and over.hours == Decimal("40.5") and over.seats == 2
    assert selectors.MAX_PERSON_HOURS == 40


def test_action_labels_are_registered():
    from safepact.audit.selectors import action_label

    assert action_label("formation.assignment.changed") == "Task table: responsibility changed"
    assert action_label("formation.structure.exported") == "Structure exported"


def test_partners_helper_order(world):
    police, city, shop = partners_of(world)
    assert {police.status, city.status, shop.status} == {"active"}
    assert Level.BOARD < Level.OPERATIONAL < Level.STAKEHOLDER  # the model's ordering relies on it
