"""Services that schedule, change and cancel meetings, invitations and answers."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.meetings import selectors, services
from safepact.meetings.models import Meeting, Participant, Response, Series, Status
from safepact.meetings.tests.support_services import NOW, at, coordinator_membership, reload, schedule
from safepact.notifications.models import Notification
from safepact.partnerships.models import Membership

pytestmark = pytest.mark.django_db


def events(action):
    return AuditEvent.objects.filter(action=action)


def notified(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True))


# meeting_create ------------------------------------------------------------------------------------


def test_create_invites_every_active_member_and_tells_them(world):
    with clock.frozen(NOW):
        meeting = schedule(world, location="Police station")
    people = set(meeting.participants.values_list("user__email", "partner__organisation__name"))
    assert people == {
        ("coordinator@polisen.example", "Polisen Malmö"),
        ("member@city.example", "Malmö stad"),
        ("viewer@shop.example", "Sofielund Fastighetsägare"),
    }
    assert meeting.status == Status.SCHEDULED and meeting.sequence == 0 and meeting.series is None
    event = events("meetings.meeting.created").get()
    assert event.target_code == str(meeting.code)
    assert event.partnership_code == str(world.partnership_a.code)
    assert notified("meetings.invited") == ["member@city.example", "viewer@shop.example"]
    notification = Notification.objects.filter(kind="meetings.invited").first()
    assert str(meeting.code) in notification.url
    assert "Plenary meeting" in notification.title


def test_create_with_chosen_invitees(world):
    with clock.frozen(NOW):
        meeting = schedule(world, invitees=[world.membership_member, coordinator_membership(world)])
    assert set(meeting.participants.values_list("user__email", flat=True)) == {
        "coordinator@polisen.example",
        "member@city.example",
    }
    assert notified("meetings.invited") == ["member@city.example"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"hours": -1}, "ends_at"),
        ({"hours": 0}, "ends_at"),
        ({"kind": "party"}, "kind"),
        ({"kind": "online"}, "online_url"),
        ({"kind": "online", "online_url": "not a link"}, "online_url"),
        ({"title": "  "}, "title"),
        ({"count": 0, "frequency": "weekly"}, "count"),
        ({"count": 53, "frequency": "weekly"}, "count"),
        ({"count": 3}, "frequency"),
        ({"count": 3, "frequency": "daily"}, "frequency"),
        ({"starts_at": "tomorrow", "ends_at": NOW}, "starts_at"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(world, changes, field):
    with clock.frozen(NOW), pytest.raises(ValidationError) as error:
        schedule(world, **changes)
    assert field in error.value.message_dict
    assert not Meeting.objects.exists() and not Series.objects.exists() and not Participant.objects.exists()
    assert not events("meetings.meeting.created").exists()


def test_create_refuses_invitees_of_another_partnership(world):
    membership_b = Membership.objects.get(user=world.coordinator_b)
    with clock.frozen(NOW), pytest.raises(ValidationError) as error:
        schedule(world, invitees=[world.membership_member, membership_b])
    assert "invitees" in error.value.message_dict
    assert not Meeting.objects.exists()


def test_create_refuses_a_suspended_member_as_invitee(world):
    Membership.objects.filter(pk=world.membership_member.pk).update(status="suspended")
    with clock.frozen(NOW), pytest.raises(ValidationError) as error:
        schedule(world, invitees=[world.membership_member])
    assert "invitees" in error.value.message_dict


def test_default_invitees_leave_out_suspended_members(world):
    Membership.objects.filter(pk=world.membership_member.pk).update(status="suspended")
    with clock.frozen(NOW):
        meeting = schedule(world)
    assert "member@city.example" not in set(meeting.participants.values_list("user__email", flat=True))


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_only_coordinators_schedule(world, who):
    with clock.frozen(NOW), pytest.raises(PermissionDenied):
        schedule(world, actor=getattr(world, who))
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "coordinator_b"])
def test_outsiders_cannot_schedule(world, who):
    with clock.frozen(NOW), pytest.raises(Http404):
        schedule(world, actor=getattr(world, who))
    assert not Meeting.objects.exists()


def test_weekly_series_keeps_the_local_time_across_daylight_saving(world):
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(timezone.datetime(2025, 3, 20, 10, 0), tz)
    with clock.frozen(NOW):
        first = schedule(world, starts_at=start, frequency="weekly", count=3)
    meetings = list(Meeting.objects.filter(series=first.series).order_by("starts_at"))
    assert [timezone.localtime(m.starts_at).strftime("%Y-%m-%d %H:%M") for m in meetings] == [
        "2025-03-20 10:00",
        "2025-03-27 10:00",
        "2025-04-03 10:00",  # after the switch to summer time: still 10:00 local
    ]
    assert all(m.hours == 2 for m in meetings)
    assert first == meetings[0] and first.series.count == 3
    assert Participant.objects.filter(meeting__series=first.series).count() == 9
    event = events("meetings.series.created").get()
    assert event.after["meetings"] == [str(m.code) for m in meetings]
    assert not events("meetings.meeting.created").exists()
    # one invitation per person for the whole series
    assert notified("meetings.invited") == ["member@city.example", "viewer@shop.example"]


@pytest.mark.parametrize(
    ("frequency", "expected"),
    [
        ("fortnightly", ["2025-01-31", "2025-02-14", "2025-02-28"]),
        ("monthly", ["2025-01-31", "2025-02-28", "2025-03-31"]),
        ("quarterly", ["2025-01-31", "2025-04-30", "2025-07-31"]),
    ],
)
def test_series_steps(world, frequency, expected):
    start = timezone.make_aware(timezone.datetime(2025, 1, 31, 14, 0), timezone.get_current_timezone())
    with clock.frozen(NOW):
        first = schedule(world, starts_at=start, frequency=frequency, count=3)
    dates = [
        timezone.localtime(m.starts_at).date().isoformat()
        for m in Meeting.objects.filter(series=first.series).order_by("starts_at")
    ]
    assert dates == expected


def test_series_of_the_maximum_length(world):
    with clock.frozen(NOW):
        first = schedule(world, frequency="weekly", count=52)
    assert Meeting.objects.filter(series=first.series).count() == 52


# meeting_update ------------------------------------------------------------------------------------


def test_update_time_bumps_sequence_and_tells_participants(world):
    with clock.frozen(NOW):
        meeting = schedule(world)
        clock.advance(timedelta(hours=1))
        new_start = at(2)
        updated = services.meeting_update(
            actor=world.coordinator, meeting=meeting, starts_at=new_start, ends_at=at(2, hour=11)
        )
    assert updated.sequence == 1 and updated.updated_at == NOW + timedelta(hours=1)
    assert reload(meeting).starts_at == new_start
    event = events("meetings.meeting.updated").get()
    assert set(event.after) == {"starts_at", "ends_at"}
    assert notified("meetings.changed") == ["member@city.example", "viewer@shop.example"]


def test_update_of_the_title_only_tells_no_one(world):
    with clock.frozen(NOW):
        meeting = schedule(world)
        services.meeting_update(actor=world.coordinator, meeting=meeting, title="Renamed")
    assert reload(meeting).title == "Renamed" and reload(meeting).sequence == 1
    assert notified("meetings.changed") == []


def test_update_without_changes_records_nothing(world):
    with clock.frozen(NOW):
        meeting = schedule(world)
        services.meeting_update(actor=world.coordinator, meeting=meeting, title="Plenary meeting")
    assert reload(meeting).sequence == 0
    assert not events("meetings.meeting.updated").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": "x"}, "ends_at"),
        ({"title": ""}, "title"),
        ({"status": "held"}, "status"),
        ({"partnership": None}, "partnership"),
    ],
)
def test_update_refuses_bad_input(world, changes, field):
    with clock.frozen(NOW):
        meeting = schedule(world)
        with pytest.raises(ValidationError) as error:
            services.meeting_update(actor=world.coordinator, meeting=meeting, **changes)
    assert field in error.value.message_dict
    assert reload(meeting).sequence == 0 and reload(meeting).title == "Plenary meeting"


def test_update_refuses_end_before_start(world):
    with clock.frozen(NOW):
        meeting = schedule(world)
        with pytest.raises(ValidationError) as error:
            services.meeting_update(actor=world.coordinator, meeting=meeting, ends_at=at(0))
    assert "ends_at" in error.value.message_dict


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_update_is_for_coordinators(world, who):
    with clock.frozen(NOW):
        meeting = schedule(world)
        with pytest.raises(PermissionDenied):
            services.meeting_update(actor=getattr(world, who), meeting=meeting, title="Mine")
    assert reload(meeting).title == "Plenary meeting"


def test_update_by_another_partnership_coordinator_is_404(world):
    with clock.frozen(NOW):
        meeting = schedule(world)
        with pytest.raises(Http404):
            services.meeting_update(actor=world.coordinator_b, meeting=meeting, title="Mine")


# meeting_cancel ------------------------------------------------------------------------------------


def test_cancel(world):
    with clock.frozen(NOW):
        meeting = schedule(world)
        services.meeting_cancel(actor=world.coordinator, meeting=meeting, reason="Too few people")
    meeting = reload(meeting)
    assert meeting.status == Status.CANCELLED and meeting.sequence == 1
    assert events("meetings.meeting.cancelled").get().reason == "Too few people"
    assert notified("meetings.cancelled") == ["member@city.example", "viewer@shop.example"]
    with clock.frozen(NOW), pytest.raises(ValidationError) as error:
        services.meeting_cancel(actor=world.coordinator, meeting=meeting)
    assert "status" in error.value.message_dict
    with clock.frozen(NOW), pytest.raises(ValidationError) as error:
        services.meeting_update(actor=world.coordinator, meeting=meeting, title="Again")
    assert "status" in error.value.message_dict
    assert events("meetings.meeting.cancelled").count() == 1


def test_a_held_meeting_cannot_be_cancelled(world):
    with clock.frozen(NOW):
        meeting = schedule(world, days=-1)
        services.attendance_record(actor=world.coordinator, meeting=meeting, attendance={})
        with pytest.raises(ValidationError) as error:
            services.meeting_cancel(actor=world.coordinator, meeting=meeting)
    assert "status" in error.value.message_dict
    assert reload(meeting).status == Status.HELD


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_cancel_is_for_coordinators(world, who):
    with clock.frozen(NOW):
        meeting = schedule(world)
        with pytest.raises(PermissionDenied):
            services.meeting_cancel(actor=getattr(world, who), meeting=meeting)
    assert reload(meeting).status == Status.SCHEDULED


# participant_respond -------------------------------------------------------------------------------


def participation(user, meeting):
    return Participant.objects.select_related("meeting__partnership").get(user=user, meeting=meeting)


@pytest.mark.parametrize("who", ["member", "viewer", "coordinator"])
def test_every_member_answers_their_own_invitation(world, who):
    user = getattr(world, who)
    with clock.frozen(NOW):
        meeting = schedule(world)
        services.participant_respond(
            actor=user, participant=participation(user, meeting), response="declined"
        )
    assert participation(user, meeting).response == Response.DECLINED
    event = events("meetings.participant.responded").get()
    assert event.after == {"response": "declined"} and event.actor_label == user.email


def test_no_one_answers_for_someone_else(world):
    with clock.frozen(NOW):
        meeting = schedule(world)
        with pytest.raises(PermissionDenied):
            services.participant_respond(
                actor=world.coordinator, participant=participation(world.member, meeting), response="accepted"
            )
    assert participation(world.member, meeting).response == Response.PENDING


def test_outsider_cannot_answer(world):
    with clock.frozen(NOW):
        meeting = schedule(world)
        with pytest.raises(Http404):
            services.participant_respond(
                actor=world.outsider, participant=participation(world.member, meeting), response="accepted"
            )


def test_answer_refusals(world):
    with clock.frozen(NOW):
        meeting = schedule(world)
        with pytest.raises(ValidationError) as error:
            services.participant_respond(
                actor=world.member, participant=participation(world.member, meeting), response="maybe"
            )
        assert "response" in error.value.message_dict
        clock.advance(timedelta(days=2))
        with pytest.raises(ValidationError) as error:
            services.participant_respond(
                actor=world.member, participant=participation(world.member, meeting), response="accepted"
            )
        assert "response" in error.value.message_dict
    with clock.frozen(NOW):
        other = schedule(world)
        services.meeting_cancel(actor=world.coordinator, meeting=other)
        with pytest.raises(ValidationError):
            services.participant_respond(
                actor=world.member, participant=participation(world.member, other), response="accepted"
            )
    assert not events("meetings.participant.responded").exists()


def test_a_suspended_member_cannot_answer(world):
    with clock.frozen(NOW):
        meeting = schedule(world)
    Membership.objects.filter(pk=world.membership_member.pk).update(status="suspended")
    with clock.frozen(NOW), pytest.raises(Http404):
        services.participant_respond(
            actor=world.member, participant=participation(world.member, meeting), response="accepted"
        )


# invitees_add --------------------------------------------------------------------------------------


def test_invitees_add_skips_people_already_invited(world):
    with clock.frozen(NOW):
        meeting = schedule(world, invitees=[coordinator_membership(world)])
        Notification.objects.all().delete()
        created = services.invitees_add(
            actor=world.coordinator,
            meeting=meeting,
            memberships=[coordinator_membership(world), world.membership_member],
        )
    assert [p.user_id for p in created] == [world.member.pk]
    assert meeting.participants.count() == 2
    assert reload(meeting).sequence == 1
    assert events("meetings.participant.invited").get().after == {"invitees": ["member@city.example"]}
    assert notified("meetings.invited") == ["member@city.example"]


def test_invitees_add_refusals(world):
    membership_b = Membership.objects.get(user=world.coordinator_b)
    with clock.frozen(NOW):
        meeting = schedule(world, invitees=[coordinator_membership(world)])
        with pytest.raises(ValidationError) as error:
            services.invitees_add(actor=world.coordinator, meeting=meeting, memberships=[membership_b])
        assert "invitees" in error.value.message_dict
        with pytest.raises(PermissionDenied):
            services.invitees_add(actor=world.member, meeting=meeting, memberships=[world.membership_member])
    assert meeting.participants.count() == 1


# access helper -------------------------------------------------------------------------------------


def test_get_meeting_for_user(world):
    with clock.frozen(NOW):
        meeting = schedule(world)
        meeting_b = schedule(world, partnership=world.partnership_b, actor=world.coordinator_b)
    code = world.partnership_a.code
    found = selectors.get_meeting_for_user(world.viewer, code, meeting.code)
    assert found == meeting and found.partnership.membership.user == world.viewer
    for user in (world.outsider, world.coordinator_b):
        with pytest.raises(Http404):
            selectors.get_meeting_for_user(user, code, meeting.code)
    with pytest.raises(Http404):  # another partnership's meeting under this partnership's code
        selectors.get_meeting_for_user(world.coordinator, code, meeting_b.code)
    with pytest.raises(Http404):
        selectors.get_meeting_for_user(world.coordinator, code, "not-a-uuid")
    with pytest.raises(PermissionDenied):
        selectors.get_meeting_for_user(world.viewer, code, meeting.code, write=True)
    with pytest.raises(PermissionDenied):
        selectors.get_meeting_for_user(world.member, code, meeting.code, manage=True)
    assert selectors.get_meeting_for_user(world.member, code, meeting.code, write=True) == meeting
