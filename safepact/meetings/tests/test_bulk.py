"""Bulk facts for the continuity signals: correct, and a fixed number of queries for any number of
partnerships."""

from datetime import date, timedelta

import pytest

from safepact.lib import clock
from safepact.meetings import selectors, services
from safepact.meetings.models import Participant
from safepact.meetings.tests.support_services import NOW, schedule
from safepact.partnerships.models import Partner

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 4)


def participant(meeting, user):
    return Participant.objects.select_related("meeting__partnership").get(meeting=meeting, user=user)


@pytest.fixture
def history(world):
    """Partnership A: two past meetings (the city came to the first only, the shop to none), one cancelled,
    one planned; partnership B one past meeting."""
    p = {}
    with clock.frozen(NOW):
        p["first"] = schedule(world, days=-30, hours=2, kind="thematic")
        p["second"] = schedule(world, days=-2, hours=3)
        p["cancelled"] = schedule(world, days=-1, hours=4)
        services.meeting_cancel(actor=world.coordinator, meeting=p["cancelled"])
        p["planned"] = schedule(world, days=20, hours=1)
        p["b"] = schedule(world, days=-5, partnership=world.partnership_b, actor=world.coordinator_b)
        for meeting, came in ((p["first"], {"coordinator", "member"}), (p["second"], {"coordinator"})):
            services.attendance_record(
                actor=world.coordinator,
                meeting=meeting,
                attendance={
                    participant(meeting, getattr(world, who)).code: ("online" if who in came else "absent")
                    for who in ("coordinator", "member", "viewer")
                },
            )
    return p


def test_attendance_by_partner(world, history):
    city = world.membership_member.partner_id
    shop = world.membership_viewer.partner_id
    police = Partner.objects.get(partnership=world.partnership_a, organisation=world.org_police_a).pk
    found = selectors.attendance_by_partner(
        [world.partnership_a.pk, world.partnership_b.pk], since=TODAY - timedelta(days=90), until=TODAY
    )
    assert found[police] == selectors.PartnerAttendance(
        invited=2, attended=2, last_attended=TODAY - timedelta(days=2)
    )
    assert found[city] == selectors.PartnerAttendance(
        invited=2, attended=1, last_attended=TODAY - timedelta(days=30)
    )
    assert found[shop] == selectors.PartnerAttendance(invited=2, attended=0, last_attended=None)
    assert found[city].rate == 0.5
    partner_b = Partner.objects.get(partnership=world.partnership_b).pk
    assert found[partner_b].invited == 1 and found[partner_b].attended == 0
    # a narrower window keeps the last attendance from before it
    recent = selectors.attendance_by_partner(
        [world.partnership_a.pk], since=TODAY - timedelta(days=10), until=TODAY
    )
    assert recent[city] == selectors.PartnerAttendance(
        invited=1, attended=0, last_attended=TODAY - timedelta(days=30)
    )
    assert partner_b not in recent


def test_meeting_load(world, history):
    with clock.frozen(NOW):
        extra = schedule(world, days=3, hours=5)
        services.participant_respond(
            actor=world.member, participant=participant(extra, world.member), response="declined"
        )
    load = selectors.meeting_load(
        [world.partnership_a.pk, world.partnership_b.pk], month_start=date(2025, 6, 1)
    )
    # June: second (3h, 2 June) + extra (5h, 7 June) + planned (1h, 24 June); cancelled does not count;
    # first was on 5 May
    assert [(p.name, p.hours, p.meetings) for p in load[world.partnership_a.pk]] == [
        ("Cora Coordinator", 9.0, 3),
        ("Vera Viewer", 9.0, 3),
        ("Mats Member", 4.0, 2),
    ]
    assert world.partnership_b.pk not in load  # its meeting was on 30 May
    may = selectors.meeting_load(
        [world.partnership_a.pk, world.partnership_b.pk], month_start=date(2025, 5, 17)
    )
    assert [p.hours for p in may[world.partnership_a.pk]] == [2.0, 2.0, 2.0]
    assert [p.hours for p in may[world.partnership_b.pk]] == [2.0]


def test_rhythm(world, history):
    found = selectors.rhythm([world.partnership_a.pk, world.partnership_b.pk, 999999], on=TODAY)
    a = found[world.partnership_a.pk]
    assert a.last_held == TODAY - timedelta(days=2)
    assert a.next_planned == TODAY + timedelta(days=20)
    assert (a.held_90, a.planned_90) == (2, 1)
    assert a.kinds_90 == {"thematic": 1, "plenary": 1}
    assert found[world.partnership_b.pk].held_90 == 1 and found[world.partnership_b.pk].next_planned is None
    assert found[999999] == selectors.Rhythm()
    earlier = selectors.rhythm([world.partnership_a.pk], on=TODAY - timedelta(days=10))[
        world.partnership_a.pk
    ]
    assert earlier.last_held == TODAY - timedelta(days=30) and earlier.next_planned == TODAY - timedelta(
        days=2
    )


def test_open_and_done_action_items(world, history):
    city = Partner.objects.get(pk=world.membership_member.partner_id)
    with clock.frozen(NOW):
        a = services.action_item_create(
            actor=world.coordinator, meeting=history["first"], title="A", owner_partner=city, due_date=TODAY
        )
        b = services.action_item_create(
            actor=world.coordinator, meeting=history["first"], title="B", owner_partner=city, due_date=TODAY
        )
        services.action_item_set_status(actor=world.member, item=b, status="done")
    assert selectors.open_action_items([world.partnership_a.pk, world.partnership_b.pk]) == [a]
    assert selectors.action_items_done_by_partner([world.partnership_a.pk], since=TODAY) == {city.pk: 1}
    assert (
        selectors.action_items_done_by_partner([world.partnership_a.pk], since=TODAY + timedelta(days=1))
        == {}
    )


def _partnerships(world, n):
    from safepact.partnerships.services import partnership_create

    ids = []
    with clock.frozen(NOW):
        for i in range(n):
            partnership = partnership_create(
                actor=world.coordinator,
                organisation=world.org_police_a,
                name=f"Partnership {i}",
                purpose="Bulk.",
                country="SE",
            )
            meeting = schedule(world, partnership=partnership, days=-3)
            schedule(world, partnership=partnership, days=3)
            services.attendance_record(
                actor=world.coordinator,
                meeting=meeting,
                attendance={p.code: "in_person" for p in meeting.participants.all()},
            )
            partner = Partner.objects.get(partnership=partnership)
            item = services.action_item_create(
                actor=world.coordinator, meeting=meeting, title="X", owner_partner=partner, due_date=TODAY
            )
            services.action_item_create(
                actor=world.coordinator, meeting=meeting, title="Y", owner_partner=partner, due_date=TODAY
            )
            services.action_item_set_status(actor=world.coordinator, item=item, status="done")
            ids.append(partnership.pk)
    return ids


def _read_all(ids):
    selectors.attendance_by_partner(ids, since=TODAY - timedelta(days=90), until=TODAY)
    selectors.meeting_load(ids, month_start=TODAY)
    selectors.rhythm(ids, on=TODAY)
    for item in selectors.open_action_items(ids):
        assert (
            item.owner_partner.organisation.name and item.meeting.starts_at and item.meeting.partnership.name
        )
    selectors.action_items_done_by_partner(ids, since=TODAY - timedelta(days=30))
    selectors.settings_by_partnership(ids)


def test_bulk_selectors_are_query_constant(world, django_assert_num_queries):
    ids = _partnerships(world, 10)
    found = selectors.meeting_load(ids, month_start=TODAY)
    assert len(found) == 10 and len(selectors.open_action_items(ids)) == 10
    assert all(r.held_90 == 1 and r.planned_90 == 1 for r in selectors.rhythm(ids, on=TODAY).values())
    # 1 + 1 + 2 + 1 + 1 + 1 queries for one partnership or ten
    with django_assert_num_queries(7):
        _read_all(ids[:1])
    with django_assert_num_queries(7):
        _read_all(ids)
