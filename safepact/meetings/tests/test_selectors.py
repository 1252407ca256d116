"""Reads: lists, my meetings and hours, participants, minutes per TLP, action items, choices."""

from datetime import date

import pytest

from safepact.lib import clock
from safepact.meetings import selectors, services
from safepact.meetings.models import Participant
from safepact.meetings.tests.support_services import NOW, coordinator_membership, schedule
from safepact.partnerships.models import Membership, Partner

pytestmark = pytest.mark.django_db


def test_meeting_list_upcoming_and_past_with_counts(world):
    with clock.frozen(NOW):
        past = schedule(world, days=-3, title="Past")
        soon = schedule(world, days=1, title="Soon")
        later = schedule(world, days=9, title="Later")
        services.attendance_record(
            actor=world.coordinator,
            meeting=past,
            attendance={p.code: "in_person" for p in past.participants.all()[:2]},
        )
        member = Participant.objects.select_related("meeting__partnership").get(
            meeting=soon, user=world.member
        )
        services.participant_respond(actor=world.member, participant=member, response="accepted")
        upcoming = list(
            selectors.meeting_list(user=world.member, partnership=world.partnership_a, when="upcoming")
        )
        done = list(selectors.meeting_list(user=world.member, partnership=world.partnership_a, when="past"))
        every = list(selectors.meeting_list(user=world.member, partnership=world.partnership_a))
    assert upcoming == [soon, later] and done == [past] and every == [past, soon, later]
    assert upcoming[0].my_response == "accepted" and upcoming[0].accepted_count == 1
    assert upcoming[1].my_response == "pending" and upcoming[1].invited_count == 3
    assert done[0].attended_count == 2
    assert list(selectors.meeting_list(user=world.outsider, partnership=world.partnership_a)) == []


def test_meeting_list_query_count_is_constant(world, django_assert_num_queries):
    with clock.frozen(NOW):
        for days in range(1, 12):
            schedule(world, days=days)
        with django_assert_num_queries(1):
            rows = list(
                selectors.meeting_list(user=world.member, partnership=world.partnership_a, when="upcoming")
            )
            [(m.partnership.name, m.invited_count, m.my_response) for m in rows]


def test_my_meetings_across_partnerships(world):
    from conftest import add_member

    add_member(
        coordinator=world.coordinator_b,
        partnership=world.partnership_b,
        user=world.member,
        role="member",
        new_organisation={"name": "Malmö stad NL", "kind": "municipality", "country": "NL"},
    )
    with clock.frozen(NOW):
        a = schedule(world, days=2, title="A")
        b = schedule(world, days=1, title="B", partnership=world.partnership_b, actor=world.coordinator_b)
        schedule(world, days=3, title="Not me", invitees=[coordinator_membership(world)])
        schedule(world, days=90, title="Far")
        schedule(world, days=-2, title="Past")
        cancelled = schedule(world, days=4, title="Cancelled")
        services.meeting_cancel(actor=world.coordinator, meeting=cancelled)
        assert list(selectors.my_meetings(user=world.member)) == [b, a]
        assert cancelled in list(selectors.my_meetings(user=world.member, include_cancelled=True))
        Membership.objects.filter(pk=world.membership_member.pk).update(status="suspended")
        assert list(selectors.my_meetings(user=world.member)) == [b]


def test_my_meeting_hours_per_month(world):
    with clock.frozen(NOW):
        schedule(world, days=1, hours=3)
        schedule(world, days=2, hours=6)
        declined = schedule(world, days=3, hours=5)
        schedule(world, days=30, hours=1)  # July
        services.participant_respond(
            actor=world.member,
            participant=Participant.objects.select_related("meeting__partnership").get(
                meeting=declined, user=world.member
            ),
            response="declined",
        )
        rows = selectors.my_meeting_hours(user=world.member)
    assert [(r["month"], r["hours"], r["meetings"], r["over"]) for r in rows] == [
        (date(2025, 6, 1), 9.0, 2, True),
        (date(2025, 7, 1), 1.0, 1, False),
    ]
    assert rows[0]["partnership"] == world.partnership_a and rows[0]["limit"] == 8


def test_participants_and_my_participation(world):
    with clock.frozen(NOW):
        meeting = schedule(world)
    names = [p.partner.organisation.name for p in selectors.participant_list(meeting=meeting)]
    assert names == sorted(names) and len(names) == 3
    assert selectors.my_participation(world.viewer, meeting).user == world.viewer
    assert selectors.my_participation(world.outsider, meeting) is None


def test_minutes_for_without_minutes(world):
    with clock.frozen(NOW):
        meeting = schedule(world, days=-1)
    assert selectors.minutes_for(user=world.member, meeting=meeting) is None
    assert selectors.minutes_withheld(user=world.member, meeting=meeting) is False


def test_outsider_sees_no_minutes(world):
    with clock.frozen(NOW):
        meeting = schedule(world, days=-1)
        services.minutes_save(actor=world.coordinator, meeting=meeting, text="We met.", tlp="green")
    assert selectors.minutes_for(user=world.outsider, meeting=meeting) is None
    assert selectors.minutes_for(user=world.member, meeting=meeting).text == "We met."


def test_action_item_list(world):
    city = Partner.objects.get(pk=world.membership_member.partner_id)
    with clock.frozen(NOW):
        meeting = schedule(world, days=-1)
        late = services.action_item_create(
            actor=world.coordinator, meeting=meeting, title="B", owner_partner=city, due_date=date(2025, 8, 1)
        )
        early = services.action_item_create(
            actor=world.coordinator, meeting=meeting, title="A", owner_partner=city, due_date=date(2025, 7, 1)
        )
        services.action_item_set_status(actor=world.coordinator, item=late, status="done")
    assert list(selectors.action_item_list(user=world.viewer, partnership=world.partnership_a)) == [
        early,
        late,
    ]
    assert list(
        selectors.action_item_list(user=world.viewer, partnership=world.partnership_a, status="open")
    ) == [early]
    assert list(selectors.action_item_list(user=world.outsider, partnership=world.partnership_a)) == []


def test_choices(world):
    emails = [
        m.user.email
        for m in selectors.invitee_choices(user=world.coordinator, partnership=world.partnership_a)
    ]
    assert sorted(emails) == ["coordinator@polisen.example", "member@city.example", "viewer@shop.example"]
    assert selectors.invitee_choices(user=world.outsider, partnership=world.partnership_a).count() == 0
    names = [
        p.organisation.name
        for p in selectors.owner_partner_choices(user=world.member, partnership=world.partnership_a)
    ]
    assert names == ["Malmö stad", "Polisen Malmö", "Sofielund Fastighetsägare"]
    assert (
        selectors.recipient_organisation_choices(user=world.member, partnership=world.partnership_a).count()
        == 3
    )
    assert selectors.recipient_people_choices(user=world.member, partnership=world.partnership_a).count() == 3


def test_my_meetings_counts_everyone_invited_not_only_me(world):
    """Regression: filtering on my invitation by a join narrowed the counts to my own row."""
    from datetime import timedelta

    from safepact.lib import clock
    from safepact.meetings import selectors, services

    start = clock.now() + timedelta(days=3)
    services.meeting_create(
        actor=world.coordinator,
        partnership=world.partnership_a,
        kind="plenary",
        title="Counted",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    [meeting] = selectors.my_meetings(user=world.member)
    assert meeting.invited_count == 3
