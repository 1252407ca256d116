"""Services that record what happened: attendance, minutes (TLP), decisions, action items, settings."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.meetings import selectors, services
from safepact.meetings.models import (
    ActionItem,
    ActionStatus,
    Decision,
    MeetingsSettings,
    Minutes,
    Participant,
    Status,
)
from safepact.meetings.tests.support_services import NOW, reload, schedule
from safepact.notifications.models import Notification
from safepact.partnerships.models import Membership, Partner

pytestmark = pytest.mark.django_db

MINUTES = "Secret minutes: the burglary suspect lives at Example Street 1."


def events(action):
    return AuditEvent.objects.filter(action=action)


def notified(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True))


def codes(meeting):
    return {p.user.email: p.code for p in meeting.participants.select_related("user")}


@pytest.fixture
def past(world):
    with clock.frozen(NOW):
        return schedule(world, days=-1)


# attendance_record ---------------------------------------------------------------------------------


def test_attendance_marks_the_meeting_held(world, past):
    people = codes(past)
    with clock.frozen(NOW):
        services.attendance_record(
            actor=world.coordinator,
            meeting=past,
            attendance={
                people["coordinator@polisen.example"]: "in_person",
                str(people["member@city.example"]): "online",
                people["viewer@shop.example"]: "absent",
            },
        )
    assert reload(past).status == Status.HELD
    assert dict(past.participants.values_list("user__email", "attendance")) == {
        "coordinator@polisen.example": "in_person",
        "member@city.example": "online",
        "viewer@shop.example": "absent",
    }
    event = events("meetings.attendance.recorded").get()
    assert event.after["status"] == "held" and event.after["attendance"]["member@city.example"] == "online"


def test_attendance_refused_before_the_start(world):
    with clock.frozen(NOW):
        meeting = schedule(world)
        with pytest.raises(ValidationError) as error:
            services.attendance_record(
                actor=world.coordinator,
                meeting=meeting,
                attendance={codes(meeting)["member@city.example"]: "online"},
            )
    assert error.value.message_dict == {"attendance": ["The meeting has not started yet."]}
    assert reload(meeting).status == Status.SCHEDULED
    assert not Participant.objects.exclude(attendance="unknown").exists()


def test_attendance_refuses_codes_of_another_meeting(world, past):
    with clock.frozen(NOW):
        other = schedule(world, days=-2)
        with pytest.raises(ValidationError) as error:
            services.attendance_record(
                actor=world.coordinator,
                meeting=past,
                attendance={
                    codes(past)["member@city.example"]: "online",
                    codes(other)["member@city.example"]: "online",
                },
            )
    assert "attendance" in error.value.message_dict
    assert reload(past).status == Status.SCHEDULED
    assert not Participant.objects.exclude(attendance="unknown").exists()


def test_attendance_refuses_unknown_values(world, past):
    with clock.frozen(NOW), pytest.raises(ValidationError) as error:
        services.attendance_record(
            actor=world.coordinator, meeting=past, attendance={codes(past)["member@city.example"]: "asleep"}
        )
    assert "attendance" in error.value.message_dict


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_attendance_is_for_coordinators(world, past, who):
    with clock.frozen(NOW), pytest.raises(PermissionDenied):
        services.attendance_record(
            actor=getattr(world, who), meeting=past, attendance={codes(past)["member@city.example"]: "online"}
        )
    assert reload(past).status == Status.SCHEDULED


def test_attendance_by_an_outsider_is_404(world, past):
    with clock.frozen(NOW), pytest.raises(Http404):
        services.attendance_record(actor=world.coordinator_b, meeting=past, attendance={})


# minutes_save --------------------------------------------------------------------------------------


def test_green_minutes_tell_every_participant(world, past):
    with clock.frozen(NOW):
        minutes = services.minutes_save(actor=world.coordinator, meeting=past, text="We met.", tlp="green")
    assert minutes.tlp == "green" and minutes.created_by == world.coordinator
    assert notified("meetings.minutes") == ["member@city.example", "viewer@shop.example"]
    notification = Notification.objects.filter(kind="meetings.minutes").first()
    assert notification.title == "Minutes: Plenary meeting" and notification.tlp == "green"
    event = events("meetings.minutes.saved").get()
    assert event.after == {
        "tlp": "green",
        "recipient_organisations": [],
        "recipient_people": [],
        "characters": 7,
    }
    assert selectors.minutes_for(user=world.viewer, meeting=past) == minutes


def test_saving_again_updates_and_tells_no_one_again(world, past):
    with clock.frozen(NOW):
        services.minutes_save(actor=world.coordinator, meeting=past, text="We met.", tlp="green")
        services.minutes_save(actor=world.coordinator, meeting=past, text="We met twice.", tlp="green")
    assert Minutes.objects.get().text == "We met twice."
    assert Notification.objects.filter(kind="meetings.minutes").count() == 2
    assert events("meetings.minutes.saved").count() == 2


def test_amber_minutes_reach_only_recipient_organisations(world, past):
    with clock.frozen(NOW):
        minutes = services.minutes_save(
            actor=world.coordinator,
            meeting=past,
            text=MINUTES,
            tlp="amber",
            recipient_organisations=[world.org_police_a, world.org_shop_a],
        )
    assert notified("meetings.minutes") == ["viewer@shop.example"]
    assert selectors.minutes_for(user=world.member, meeting=past) is None
    assert selectors.minutes_withheld(user=world.member, meeting=past) is True
    assert selectors.minutes_for(user=world.viewer, meeting=past) == minutes
    assert selectors.minutes_withheld(user=world.viewer, meeting=past) is False
    # the text never goes to the trail or a notification
    for event in AuditEvent.objects.all():
        assert "burglary suspect" not in str(event.after) + str(event.before)
    for notification in Notification.objects.all():
        assert "burglary suspect" not in notification.title + notification.body


def test_red_minutes_reach_only_named_people(world, past):
    with clock.frozen(NOW):
        services.minutes_save(
            actor=world.coordinator, meeting=past, text=MINUTES, tlp="red", recipient_people=[world.member]
        )
    assert notified("meetings.minutes") == ["member@city.example"]
    assert selectors.minutes_for(user=world.viewer, meeting=past) is None
    assert selectors.minutes_for(user=world.member, meeting=past) is not None
    assert selectors.minutes_for(user=world.coordinator, meeting=past) is not None  # the author


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"tlp": "amber"}, "recipient_organisations"),
        ({"tlp": "amber+strict"}, "recipient_organisations"),
        ({"tlp": "red"}, "recipient_people"),
        ({"tlp": "purple"}, "tlp"),
        ({"tlp": "green", "text": "   "}, "text"),
    ],
)
def test_minutes_refusals(world, past, kwargs, field):
    kwargs.setdefault("text", MINUTES)
    with clock.frozen(NOW), pytest.raises(ValidationError) as error:
        services.minutes_save(actor=world.coordinator, meeting=past, **kwargs)
    assert field in error.value.message_dict
    assert not Minutes.objects.exists() and not events("meetings.minutes.saved").exists()
    assert not Notification.objects.filter(kind="meetings.minutes").exists()


def test_minutes_recipients_must_belong_to_the_partnership(world, past):
    with clock.frozen(NOW):
        with pytest.raises(ValidationError) as error:
            services.minutes_save(
                actor=world.coordinator,
                meeting=past,
                text=MINUTES,
                tlp="amber",
                recipient_organisations=[world.org_b],
            )
        assert "recipient_organisations" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            services.minutes_save(
                actor=world.coordinator,
                meeting=past,
                text=MINUTES,
                tlp="red",
                recipient_people=[world.outsider],
            )
        assert "recipient_people" in error.value.message_dict
    assert not Minutes.objects.exists()


def test_minutes_refused_before_the_meeting(world):
    with clock.frozen(NOW):
        meeting = schedule(world)
        with pytest.raises(ValidationError) as error:
            services.minutes_save(actor=world.coordinator, meeting=meeting, text="Early", tlp="green")
    assert "text" in error.value.message_dict


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_minutes_are_for_coordinators(world, past, who):
    with clock.frozen(NOW), pytest.raises(PermissionDenied):
        services.minutes_save(actor=getattr(world, who), meeting=past, text="Mine", tlp="green")
    assert not Minutes.objects.exists()


def test_a_coordinator_who_cannot_read_the_minutes_cannot_overwrite_them(world, past):
    second = Membership.objects.get(pk=world.membership_member.pk)
    Membership.objects.filter(pk=second.pk).update(role="coordinator")
    with clock.frozen(NOW):
        services.minutes_save(
            actor=world.coordinator,
            meeting=past,
            text=MINUTES,
            tlp="amber",
            recipient_organisations=[world.org_police_a],
        )
        with pytest.raises(PermissionDenied):
            services.minutes_save(actor=world.member, meeting=past, text="Overwritten", tlp="green")
    assert Minutes.objects.get().text == MINUTES


def test_another_coordinator_cannot_lock_themselves_out(world, past):
    Membership.objects.filter(pk=world.membership_member.pk).update(role="coordinator")
    with clock.frozen(NOW):
        services.minutes_save(actor=world.coordinator, meeting=past, text="We met.", tlp="green")
        with pytest.raises(ValidationError) as error:
            services.minutes_save(
                actor=world.member,
                meeting=past,
                text="We met.",
                tlp="amber",
                recipient_organisations=[world.org_police_a],
            )
    assert "recipient_organisations" in error.value.message_dict
    assert Minutes.objects.get().tlp == "green"


# decisions -----------------------------------------------------------------------------------------


def test_decision_add_and_delete(world, past):
    with clock.frozen(NOW):
        decision = services.decision_add(actor=world.coordinator, meeting=past, text="  Hire a guard.  ")
    assert decision.text == "Hire a guard." and list(selectors.decision_list(meeting=past)) == [decision]
    assert events("meetings.decision.added").get().target_code == str(decision.code)
    with clock.frozen(NOW):
        services.decision_delete(actor=world.coordinator, decision=decision)
    assert not Decision.objects.exists()
    assert events("meetings.decision.deleted").get().before["text"] == "Hire a guard."


def test_decision_refusals(world, past):
    with clock.frozen(NOW):
        with pytest.raises(ValidationError) as error:
            services.decision_add(actor=world.coordinator, meeting=past, text=" ")
        assert "text" in error.value.message_dict
        for who in (world.member, world.viewer):
            with pytest.raises(PermissionDenied):
                services.decision_add(actor=who, meeting=past, text="Mine")
        with pytest.raises(Http404):
            services.decision_add(actor=world.outsider, meeting=past, text="Mine")
        decision = services.decision_add(actor=world.coordinator, meeting=past, text="Kept")
        with pytest.raises(PermissionDenied):
            services.decision_delete(actor=world.member, decision=decision)
    assert list(Decision.objects.values_list("text", flat=True)) == ["Kept"]


# action items --------------------------------------------------------------------------------------


def partner_of(membership):
    return Partner.objects.select_related("organisation").get(pk=membership.partner_id)


def test_member_adds_an_action_and_the_owner_is_told(world, past):
    city = partner_of(world.membership_member)
    with clock.frozen(NOW):
        item = services.action_item_create(
            actor=world.member,
            meeting=past,
            title="Fix the lights",
            owner_partner=city,
            due_date=date(2025, 7, 1),
        )
    assert item.status == ActionStatus.OPEN and item.partnership == world.partnership_a
    assert events("meetings.action.created").get().after["owner_partner"] == "Malmö stad"
    assert notified("meetings.action") == []  # no person named
    with clock.frozen(NOW):
        services.action_item_create(
            actor=world.coordinator,
            meeting=past,
            title="Patrol",
            owner_partner=city,
            owner_person=world.member,
            due_date=date(2025, 7, 1),
        )
    assert notified("meetings.action") == ["member@city.example"]


@pytest.mark.parametrize(
    "case", ["other_partnership", "no_partner", "person_not_through_partner", "bad_due", "title"]
)
def test_action_refusals(world, past, case):
    city = partner_of(world.membership_member)
    kwargs = {"title": "Fix", "owner_partner": city, "due_date": date(2025, 7, 1)}
    field = {"other_partnership": "owner_partner", "no_partner": "owner_partner"}.get(case, "")
    if case == "other_partnership":
        kwargs["owner_partner"] = Partner.objects.get(partnership=world.partnership_b)
    elif case == "no_partner":
        kwargs["owner_partner"] = None
    elif case == "person_not_through_partner":
        kwargs["owner_person"], field = world.viewer, "owner_person"
    elif case == "bad_due":
        kwargs["due_date"], field = "soon", "due_date"
    else:
        kwargs["title"], field = "", "title"
    with clock.frozen(NOW), pytest.raises(ValidationError) as error:
        services.action_item_create(actor=world.coordinator, meeting=past, **kwargs)
    assert field in error.value.message_dict
    assert not ActionItem.objects.exists() and not events("meetings.action.created").exists()


def test_a_suspended_partner_cannot_own_an_action(world, past):
    city = partner_of(world.membership_member)
    Partner.objects.filter(pk=city.pk).update(status="suspended")
    city.refresh_from_db()
    with clock.frozen(NOW), pytest.raises(ValidationError) as error:
        services.action_item_create(
            actor=world.coordinator, meeting=past, title="Fix", owner_partner=city, due_date=date(2025, 7, 1)
        )
    assert "owner_partner" in error.value.message_dict


def test_viewers_and_outsiders_add_no_actions(world, past):
    city = partner_of(world.membership_member)
    with clock.frozen(NOW):
        with pytest.raises(PermissionDenied):
            services.action_item_create(
                actor=world.viewer, meeting=past, title="Fix", owner_partner=city, due_date=date(2025, 7, 1)
            )
        with pytest.raises(Http404):
            services.action_item_create(
                actor=world.outsider, meeting=past, title="Fix", owner_partner=city, due_date=date(2025, 7, 1)
            )
    assert not ActionItem.objects.exists()


@pytest.fixture
def items(world, past):
    city, shop = partner_of(world.membership_member), partner_of(world.membership_viewer)
    with clock.frozen(NOW):
        mine = services.action_item_create(
            actor=world.coordinator,
            meeting=past,
            title="City's",
            owner_partner=city,
            due_date=date(2025, 7, 1),
        )
        theirs = services.action_item_create(
            actor=world.coordinator,
            meeting=past,
            title="Shop's",
            owner_partner=shop,
            due_date=date(2025, 7, 1),
        )
    return mine, theirs


def test_member_of_the_owner_partner_sets_the_status(world, items):
    mine, _theirs = items
    with clock.frozen(NOW):
        item = services.action_item_set_status(actor=world.member, item=mine, status="done")
    assert item.status == "done" and item.done_at == NOW
    assert events("meetings.action.status_changed").get().after == {"status": "done"}
    with clock.frozen(NOW):
        item = services.action_item_set_status(actor=world.member, item=mine, status="open")
    assert item.done_at is None and ActionItem.objects.get(pk=mine.pk).done_at is None


def test_status_refusals(world, items):
    mine, theirs = items
    with clock.frozen(NOW):
        with pytest.raises(PermissionDenied):
            services.action_item_set_status(actor=world.member, item=theirs, status="done")
        with pytest.raises(PermissionDenied):
            services.action_item_set_status(actor=world.viewer, item=theirs, status="done")
        with pytest.raises(Http404):
            services.action_item_set_status(actor=world.coordinator_b, item=mine, status="done")
        with pytest.raises(ValidationError) as error:
            services.action_item_set_status(actor=world.member, item=mine, status="finished")
        assert "status" in error.value.message_dict
        services.action_item_set_status(actor=world.coordinator, item=theirs, status="cancelled")
    assert ActionItem.objects.get(pk=mine.pk).status == "open"
    assert ActionItem.objects.get(pk=theirs.pk).status == "cancelled"


def test_get_action_item_for_user(world, items):
    mine, _theirs = items
    code = world.partnership_a.code
    assert selectors.get_action_item_for_user(world.viewer, code, mine.code) == mine
    with pytest.raises(PermissionDenied):
        selectors.get_action_item_for_user(world.viewer, code, mine.code, write=True)
    for user in (world.outsider, world.coordinator_b):
        with pytest.raises(Http404):
            selectors.get_action_item_for_user(user, code, mine.code)
    with pytest.raises(Http404):
        selectors.get_action_item_for_user(world.coordinator_b, world.partnership_b.code, mine.code)


# settings ------------------------------------------------------------------------------------------


def test_settings(world):
    assert selectors.settings_for(partnership=world.partnership_a).monthly_hours_limit == 8
    assert not MeetingsSettings.objects.exists()
    with clock.frozen(NOW):
        saved = services.settings_update(
            actor=world.coordinator, partnership=world.partnership_a, monthly_hours_limit="6,5"
        )
    assert saved.monthly_hours_limit == Decimal("6.5")
    assert selectors.settings_for(partnership=world.partnership_a).monthly_hours_limit == Decimal("6.5")
    assert events("meetings.settings.changed").get().after == {"monthly_hours_limit": "6.5"}
    for bad in ("many", "0", "-1", "10000", None):
        with clock.frozen(NOW), pytest.raises(ValidationError) as error:
            services.settings_update(
                actor=world.coordinator, partnership=world.partnership_a, monthly_hours_limit=bad
            )
        assert "monthly_hours_limit" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.settings_update(actor=world.member, partnership=world.partnership_a, monthly_hours_limit=2)
    with pytest.raises(Http404):
        services.settings_update(actor=world.outsider, partnership=world.partnership_a, monthly_hours_limit=2)
    assert MeetingsSettings.objects.get().monthly_hours_limit == Decimal("6.5")


def test_register_adds_the_section_link():
    from safepact.partnerships import hooks

    assert "meetings:list" in [s.url_name for s in hooks.sections()]
    services.register()  # idempotent
    assert [s.url_name for s in hooks.sections()].count("meetings:list") == 1


def test_no_time_travel_in_the_app():
    import inspect

    from safepact.meetings import ical

    for module in (services, selectors, ical):
        source = inspect.getsource(module)
        assert "timezone.now()" not in source and "date.today()" not in source
