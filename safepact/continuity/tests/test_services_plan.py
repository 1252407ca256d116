"""Action plan services: activities, their status and dependencies."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.continuity import services
from safepact.continuity.models import Activity, ActivityStatus
from safepact.continuity.tests.services_support import at, events, objective, partners
from safepact.lib import clock
from safepact.partnerships.models import Membership, Partner, PartnerStatus

START, DUE = date(2026, 2, 1), date(2026, 3, 31)


def create(world, actor=None, **kwargs):
    kwargs.setdefault("title", "Door-to-door burglary prevention visits")
    kwargs.setdefault("owner_partner", partners(world).city)
    kwargs.setdefault("start_date", START)
    kwargs.setdefault("due_date", DUE)
    return services.activity_create(
        actor=actor or world.coordinator, partnership=world.partnership_a, **kwargs
    )


def test_create_with_objective_and_dependency_is_audited(world):
    goal = objective(world.partnership_a)
    first = create(world, title="Map the hotspots")
    second = create(world, title="Visits", objective=goal, depends_on=[first], description="Two evenings.")
    assert second.partnership == world.partnership_a
    assert second.status == ActivityStatus.PLANNED
    assert list(second.depends_on.all()) == [first]
    assert second.objective == goal
    event = events("continuity.activity.created").get(target_code=str(second.code))
    assert event.actor_code == str(world.coordinator.code)
    assert event.partnership_code == str(world.partnership_a.code)
    assert event.after["depends_on"] == [str(first.code)]
    assert event.after["objective"] == str(goal.code)
    assert event.after["owner_partner"] == str(partners(world).city.code)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"due_date": date(2026, 1, 31)}, "due_date"),
        ({"start_date": None}, "start_date"),
        ({"start_date": "not a date"}, "start_date"),
        ({"owner_partner": None}, "owner_partner"),
    ],
)
def test_create_refuses_bad_input(world, changes, field):
    with pytest.raises(ValidationError) as error:
        create(world, **changes)
    assert field in error.value.message_dict
    assert not Activity.objects.exists()
    assert not events("continuity.activity.created").exists()


def test_owner_must_be_active_partner_of_this_partnership(world):
    other = Partner.objects.get(partnership=world.partnership_b)
    with pytest.raises(ValidationError) as error:
        create(world, owner_partner=other)
    assert "owner_partner" in error.value.message_dict
    city = partners(world).city
    Partner.objects.filter(pk=city.pk).update(status=PartnerStatus.SUSPENDED)
    with pytest.raises(ValidationError) as error:
        create(world, owner_partner=city)
    assert "owner_partner" in error.value.message_dict
    assert not Activity.objects.exists()


def test_objective_and_dependencies_of_another_partnership_refused(world):
    foreign_goal = objective(world.partnership_b)
    with pytest.raises(ValidationError) as error:
        create(world, objective=foreign_goal)
    assert "objective" in error.value.message_dict
    partner_b = Partner.objects.get(partnership=world.partnership_b)
    foreign = services.activity_create(
        actor=world.coordinator_b,
        partnership=world.partnership_b,
        title="Patrols",
        owner_partner=partner_b,
        start_date=START,
        due_date=DUE,
    )
    with pytest.raises(ValidationError) as error:
        create(world, depends_on=[foreign])
    assert "depends_on" in error.value.message_dict
    assert Activity.objects.filter(partnership=world.partnership_a).count() == 0


def test_only_coordinators_create(world):
    with pytest.raises(PermissionDenied):
        create(world, actor=world.member)
    with pytest.raises(PermissionDenied):
        create(world, actor=world.viewer)
    with pytest.raises(Http404):
        create(world, actor=world.outsider)
    with pytest.raises(Http404):
        create(world, actor=world.coordinator_b)
    assert not Activity.objects.exists()


def test_update_changes_fields_and_audits_only_changes(world):
    activity = create(world)
    police = partners(world).police
    services.activity_update(
        actor=world.coordinator, activity=activity, title="Visits, round 2", owner_partner=police
    )
    activity.refresh_from_db()
    assert activity.title == "Visits, round 2"
    assert activity.owner_partner == police
    event = events("continuity.activity.updated").get()
    assert set(event.after) == {"title", "owner_partner"}
    assert event.before["title"] == "Door-to-door burglary prevention visits"


def test_update_refuses_bad_dates_and_unknown_fields(world):
    activity = create(world)
    with pytest.raises(ValidationError) as error:
        services.activity_update(actor=world.coordinator, activity=activity, due_date=date(2026, 1, 1))
    assert "due_date" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.activity_update(actor=world.coordinator, activity=activity, created_by=world.member)
    assert "created_by" in error.value.message_dict
    activity.refresh_from_db()
    assert activity.due_date == DUE
    assert not events("continuity.activity.updated").exists()


def test_dependencies_refuse_self_and_cycles(world):
    a = create(world, title="A")
    b = create(world, title="B", depends_on=[a])
    c = create(world, title="C", depends_on=[b])
    with pytest.raises(ValidationError) as error:
        services.activity_update(actor=world.coordinator, activity=a, depends_on=[a])
    assert "depends_on" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.activity_update(actor=world.coordinator, activity=a, depends_on=[c])
    assert "cycle" in error.value.message_dict["depends_on"][0]
    assert list(a.depends_on.all()) == []
    # Not a cycle: C may also depend on A directly.
    services.activity_update(actor=world.coordinator, activity=c, depends_on=[a, b])
    assert set(c.depends_on.all()) == {a, b}


def test_members_and_viewers_cannot_update_or_delete(world):
    activity = create(world)
    for actor in (world.member, world.viewer):
        with pytest.raises(PermissionDenied):
            services.activity_update(actor=actor, activity=activity, title="Mine now")
        with pytest.raises(PermissionDenied):
            services.activity_delete(actor=actor, activity=activity)
    with pytest.raises(Http404):
        services.activity_delete(actor=world.coordinator_b, activity=activity)
    activity.refresh_from_db()
    assert activity.title == "Door-to-door burglary prevention visits"


def test_delete_is_audited_and_dependents_lose_the_link(world):
    first = create(world, title="First")
    second = create(world, title="Second", depends_on=[first])
    services.activity_delete(actor=world.coordinator, activity=first)
    assert not Activity.objects.filter(pk=first.pk).exists()
    assert list(second.depends_on.all()) == []
    event = events("continuity.activity.deleted").get()
    assert event.before["title"] == "First"


def test_status_done_sets_done_at_and_leaving_done_clears_it(world):
    activity = create(world)
    with clock.frozen(at(date(2026, 3, 2))):
        services.activity_set_status(actor=world.coordinator, activity=activity, status=ActivityStatus.DONE)
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.DONE
    assert activity.done_at == at(date(2026, 3, 2))
    services.activity_set_status(actor=world.coordinator, activity=activity, status="in_progress")
    activity.refresh_from_db()
    assert activity.done_at is None
    assert [e.after["status"] for e in events("continuity.activity.status_changed").order_by("seq")] == [
        "done",
        "in_progress",
    ]


def test_status_same_value_writes_nothing(world):
    activity = create(world)
    services.activity_set_status(actor=world.coordinator, activity=activity, status="planned")
    assert not events("continuity.activity.status_changed").exists()


def test_member_changes_status_only_of_own_partners_activities(world):
    own = create(world, owner_partner=partners(world).city)
    police = create(world, owner_partner=partners(world).police, title="Police patrols")
    services.activity_set_status(actor=world.member, activity=own, status="in_progress")
    own.refresh_from_db()
    assert own.status == "in_progress"
    with pytest.raises(PermissionDenied):
        services.activity_set_status(actor=world.member, activity=police, status="done")
    police.refresh_from_db()
    assert police.status == "planned"
    assert police.done_at is None


def test_viewer_cannot_change_status_even_of_own_partner(world):
    shops = create(world, owner_partner=partners(world).shop, title="Shop window stickers")
    with pytest.raises(PermissionDenied):
        services.activity_set_status(actor=world.viewer, activity=shops, status="done")
    with pytest.raises(Http404):
        services.activity_set_status(actor=world.outsider, activity=shops, status="done")
    shops.refresh_from_db()
    assert shops.status == "planned"


def test_unknown_status_refused(world):
    activity = create(world)
    with pytest.raises(ValidationError) as error:
        services.activity_set_status(actor=world.coordinator, activity=activity, status="finished")
    assert "status" in error.value.message_dict


def test_suspended_membership_loses_access(world):
    activity = create(world)
    Membership.objects.filter(pk=world.membership_member.pk).update(status="suspended")
    with pytest.raises(Http404):
        services.activity_set_status(actor=world.member, activity=activity, status="done")
