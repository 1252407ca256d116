"""Test data for the structure area: a small Sofielund-like structure in partnership A.

Board on top (police chair, city member), an operational team below it (city coordinator with the
member as the person), and a tenants' working group (stakeholder) reporting to the team.
"""

from dataclasses import dataclass

from safepact.formation.models import Level
from safepact.formation.services import structure as services
from safepact.partnerships.models import Membership, Partner


@dataclass
class StructureData:
    board: object
    team: object
    group: object
    chair: object
    city_seat: object
    coordinator_seat: object
    task_patrol: object
    task_report: object
    police: object
    city: object
    shop: object


def partners_of(world):
    a = world.partnership_a
    return (
        Partner.objects.get(partnership=a, organisation=world.org_police_a),
        Partner.objects.get(partnership=a, organisation=world.org_city_a),
        Partner.objects.get(partnership=a, organisation=world.org_shop_a),
    )


def partner_b(world):
    return Partner.objects.get(partnership=world.partnership_b, organisation=world.org_b)


def build(world) -> StructureData:
    a, actor = world.partnership_a, world.coordinator
    police, city, shop = partners_of(world)
    board = services.body_create(
        actor=actor, partnership=a, name="Steering board", level=Level.BOARD, mandate="Sets the course."
    )
    team = services.body_create(
        actor=actor, partnership=a, name="Operational team", level=Level.OPERATIONAL, parent=board
    )
    group = services.body_create(
        actor=actor, partnership=a, name="Tenants' working group", level=Level.STAKEHOLDER, parent=team
    )
    chair = services.seat_create(
        actor=actor,
        body=board,
        partner=police,
        person=world.coordinator,
        role_title="Chair",
        hours_per_month=8,
    )
    city_seat = services.seat_create(
        actor=actor,
        body=team,
        partner=city,
        person=world.member,
        role_title="Coordinator",
        hours_per_month=30,
    )
    coordinator_seat = services.seat_create(
        actor=actor,
        body=team,
        partner=police,
        person=world.coordinator,
        role_title="Police liaison",
        hours_per_month=12,
    )
    task_patrol = services.task_create(actor=actor, partnership=a, title="Evening patrols")
    task_report = services.task_create(actor=actor, partnership=a, title="Quarterly report")
    services.assignment_set(actor=actor, task=task_patrol, partner=police, raci="A")
    services.assignment_set(actor=actor, task=task_patrol, partner=city, raci="R")
    services.assignment_set(actor=actor, task=task_report, partner=city, raci="R")
    return StructureData(
        board=board,
        team=team,
        group=group,
        chair=chair,
        city_seat=city_seat,
        coordinator_seat=coordinator_seat,
        task_patrol=task_patrol,
        task_report=task_report,
        police=police,
        city=city,
        shop=shop,
    )


def grow(world, data: StructureData, n: int) -> None:
    """Add ``n`` more bodies (each with a seat) and ``n`` more tasks (each with an assignment)."""
    a, actor = world.partnership_a, world.coordinator
    levels = [Level.BOARD, Level.OPERATIONAL, Level.STAKEHOLDER]
    for i in range(n):
        body = services.body_create(
            actor=actor, partnership=a, name=f"Working group {i}", level=levels[i % 3], parent=data.team
        )
        services.seat_create(
            actor=actor,
            body=body,
            partner=data.shop,
            person=world.viewer,
            role_title=f"Member {i}",
            hours_per_month=1,
        )
        task = services.task_create(actor=actor, partnership=a, title=f"Task {i}")
        services.assignment_set(actor=actor, task=task, partner=data.shop, raci="C")


def membership(world, user):
    return Membership.objects.get(user=user, partner__partnership=world.partnership_a)


def make_structure(world, n):
    """``n`` bodies (two seats each) and ``n`` tasks (two assignments each), for query-count tests."""
    police, city, shop = partners_of(world)
    levels = [Level.BOARD, Level.OPERATIONAL, Level.STAKEHOLDER]
    parent = None
    for i in range(n):
        body = services.body_create(
            actor=world.coordinator,
            partnership=world.partnership_a,
            name=f"Body {i}",
            level=levels[i % 3],
            parent=parent,
        )
        parent = parent or body
        services.seat_create(
            actor=world.coordinator,
            body=body,
            partner=city,
            person=world.member,
            role_title=f"Role {i}",
            hours_per_month=1,
        )
        services.seat_create(actor=world.coordinator, body=body, partner=shop, role_title=f"Other {i}")
        task = services.task_create(
            actor=world.coordinator, partnership=world.partnership_a, title=f"Task {i}"
        )
        services.assignment_set(actor=world.coordinator, task=task, partner=police, raci="A")
        services.assignment_set(actor=world.coordinator, task=task, partner=city, raci="R")
