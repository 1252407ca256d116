"""Continuity selectors: access helpers (404 outsider, 403 wrong role), the action plan, reports,
resources and the funding runway; the overview and the dashboard health."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from safepact.continuity import selectors
from safepact.continuity.models import ResourceKind
from safepact.continuity.signals import KEYS, continuity_overview, dashboard_health
from safepact.continuity.tests.signals_support import (
    action_item,
    activity,
    actual,
    at,
    commitment,
    meeting,
    report,
    setup,
)
from safepact.meetings.models import Status
from safepact.partnerships.models import Membership

ON = date(2026, 6, 15)


@pytest.fixture
def parts(world):
    return setup(world)


def test_activity_helper_404_for_outsiders_403_for_viewers(world, parts):
    a = activity(world.partnership_a, world.coordinator, parts.city, start=ON, due=ON)
    code = world.partnership_a.code
    for user in (world.outsider, world.coordinator_b):
        with pytest.raises(Http404):
            selectors.get_activity_for_user(user, code, a.code)
    with pytest.raises(Http404):
        selectors.get_activity_for_user(world.member, code, "not-a-code")
    with pytest.raises(PermissionDenied):
        selectors.get_activity_for_user(world.viewer, code, a.code, write=True)
    found = selectors.get_activity_for_user(world.member, code, a.code, write=True)
    assert found.partnership.membership.user == world.member


def test_section_helper_only_the_partners_own_people_write(world, parts):
    r = report(world.partnership_a, parts.all(), start=date(2026, 1, 1), end=date(2026, 3, 31), due=ON)
    city = r.sections.get(partner=parts.city)
    code = world.partnership_a.code
    assert selectors.get_section_for_user(world.member, code, r.code, city.code, write=True) == city
    with pytest.raises(PermissionDenied):
        selectors.get_section_for_user(world.coordinator, code, r.code, city.code, write=True)
    with pytest.raises(PermissionDenied):
        selectors.get_section_for_user(world.viewer, code, r.code, city.code, write=True)
    assert selectors.get_section_for_user(world.viewer, code, r.code, city.code) == city
    with pytest.raises(Http404):
        selectors.get_section_for_user(world.outsider, code, r.code, city.code)
    with pytest.raises(Http404):
        selectors.get_report_for_user(world.coordinator_b, code, r.code)


def test_commitment_helper_members_write_only_their_own(world, parts):
    police = commitment(
        world.partnership_a, parts.police, world.coordinator, kind=ResourceKind.HOURS, amount=8, starts_on=ON
    )
    city = commitment(
        world.partnership_a, parts.city, world.coordinator, kind=ResourceKind.HOURS, amount=8, starts_on=ON
    )
    code = world.partnership_a.code
    assert selectors.get_commitment_for_user(world.member, code, city.code, write=True) == city
    with pytest.raises(PermissionDenied):
        selectors.get_commitment_for_user(world.member, code, police.code, write=True)
    assert selectors.get_commitment_for_user(world.coordinator, code, city.code, write=True) == city
    with pytest.raises(Http404):
        selectors.get_commitment_for_user(world.outsider, code, city.code)


def test_settings_for_gives_an_unsaved_default(world):
    found = selectors.settings_for(partnership=world.partnership_a)
    assert (found.pk, found.disengagement_days, found.meeting_gap_days) == (None, 90, 60)


def test_action_plan_merges_activities_and_action_items(world, parts):
    first = activity(
        world.partnership_a,
        world.coordinator,
        parts.police,
        title="Survey",
        start=date(2026, 5, 1),
        due=date(2026, 6, 1),
    )
    second = activity(
        world.partnership_a,
        world.coordinator,
        parts.city,
        title="Lights",
        start=date(2026, 6, 2),
        due=date(2026, 7, 1),
    )
    second.depends_on.add(first)
    m = meeting(world.partnership_a, world.coordinator, date(2026, 5, 10), status=Status.HELD)
    action_item(m, world.coordinator, parts.shop, title="Send list", due=date(2026, 6, 20))
    plan = selectors.action_plan(user=world.viewer, partnership=world.partnership_a, on=ON)
    assert [(r.kind, r.title, r.owner) for r in plan.rows] == [
        ("activity", "Survey", "Polisen Malmö"),
        ("action", "Send list", "Sofielund Fastighetsägare"),
        ("activity", "Lights", "Malmö stad"),
    ]
    assert plan.overdue == 1
    survey, send, lights = plan.rows
    assert (survey.overdue, survey.days_overdue, survey.status_label) == (True, 14, "Planned")
    assert send.start == date(2026, 5, 10)
    assert lights.depends_on == ["Survey"] and lights.depends_on_codes == [str(first.code)]
    # Someone outside sees nothing even when handed the partnership.
    assert selectors.action_plan(user=world.outsider, partnership=world.partnership_a, on=ON).rows == []


def test_reports_list_detail_and_missing(world, parts):
    r = report(
        world.partnership_a,
        parts.all(),
        start=date(2026, 1, 1),
        end=date(2026, 3, 31),
        due=date(2026, 4, 14),
        submitted=[parts.police],
    )
    listed = selectors.report_list(user=world.member, partnership=world.partnership_a).get()
    assert (listed.section_total, listed.section_submitted) == (3, 1)
    assert [s.partner for s in selectors.missing_sections(r)] == [parts.city, parts.shop]
    r = selectors.get_report_for_user(world.member, world.partnership_a.code, r.code)
    detail = selectors.report_detail(user=world.member, report=r, on=ON)
    assert detail.my_section.partner == parts.city
    assert detail.late and not detail.signed_off
    viewer_report = selectors.get_report_for_user(world.viewer, world.partnership_a.code, r.code)
    assert selectors.report_detail(user=world.viewer, report=viewer_report, on=ON).my_section is None
    assert list(selectors.report_list(user=world.outsider, partnership=world.partnership_a)) == []


def test_resources_rows_runway_and_months(world, parts):
    hours = commitment(
        world.partnership_a,
        parts.city,
        world.coordinator,
        kind=ResourceKind.HOURS,
        amount=10,
        starts_on=date(2026, 1, 1),
    )
    for month, used in ((1, 4), (3, 6), (5, 8)):
        actual(hours, date(2026, month, 1), used, world.member)
    commitment(
        world.partnership_a,
        parts.police,
        world.coordinator,
        kind=ResourceKind.FUNDING,
        amount=5000,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 7, 31),
        source="City fund",
    )
    found = selectors.resources(user=world.member, partnership=world.partnership_a, on=ON)
    row = next(r for r in found.rows if r.commitment == hours)
    assert (row.used_to_date, row.monthly_average, row.used_last_3, row.committed_last_3) == (18, 3, 14, 30)
    assert (found.runway_end, found.runway_days, found.has_funding) == (date(2026, 7, 31), 46, True)
    assert [(f.source, f.organisation, f.days_left) for f in found.funding_ending] == [
        ("City fund", "Polisen Malmö", 46)
    ]
    assert len(found.months) == 12
    assert found.months[-1].month == date(2026, 6, 1)
    may = found.months[-2]
    assert (may.committed, may.used) == (10.0, 8.0)
    assert selectors.resources(user=world.outsider, partnership=world.partnership_a, on=ON).rows == []


def _fund(pk, starts_on, ends_on):
    return SimpleNamespace(pk=pk, starts_on=starts_on, ends_on=ends_on)


def test_funding_runway_follows_the_chain():
    on = date(2026, 6, 15)
    chain = [
        _fund(1, date(2026, 1, 1), date(2026, 6, 30)),
        _fund(2, date(2026, 7, 1), date(2026, 12, 31)),
        _fund(3, date(2026, 12, 15), date(2027, 3, 31)),
        _fund(4, date(2027, 4, 2), date(2028, 1, 1)),  # a day's gap: not part of the chain
    ]
    runway = selectors.funding_runway(chain, on)
    assert (runway.end, runway.days, runway.open_ended) == (date(2027, 3, 31), 289, False)
    assert selectors.is_replaced(chain[0], chain) and not selectors.is_replaced(chain[2], chain)
    assert selectors.funding_runway([], on).has_funding is False
    assert selectors.funding_runway([_fund(1, on, None)], on).open_ended
    assert selectors.funding_runway([_fund(1, on + timedelta(days=1), None)], on).has_funding is False


def test_overview_partners_load_and_rhythm(world, parts):
    m = meeting(
        world.partnership_a,
        world.coordinator,
        date(2026, 6, 1),
        status=Status.HELD,
        attended=[parts.police, parts.city],
    )
    meeting(
        world.partnership_a, world.coordinator, date(2026, 5, 1), status=Status.HELD, attended=[parts.police]
    )
    action_item(m, world.coordinator, parts.city, due=date(2026, 7, 1))
    activity(
        world.partnership_a,
        world.coordinator,
        parts.city,
        start=date(2026, 5, 1),
        due=date(2026, 7, 1),
        status="done",
        done_at=at(date(2026, 6, 2)),
    )
    report(
        world.partnership_a,
        parts.all(),
        start=date(2026, 1, 1),
        end=date(2026, 3, 31),
        due=date(2026, 4, 14),
        submitted=[parts.city],
    )
    overview = continuity_overview(user=world.coordinator, partnership=world.partnership_a, on=ON)
    assert [s.key for s in overview.signals] == list(KEYS)
    rows = {r.organisation: r for r in overview.partners}
    city, shop, police = rows["Malmö stad"], rows["Sofielund Fastighetsägare"], rows["Polisen Malmö"]
    assert (city.last_attended, city.attendance_percent) == (date(2026, 6, 1), 50)
    assert (city.reports_delivered, city.reports_due, city.actions_done, city.actions_open) == (1, 1, 1, 1)
    assert city.last_participation == date(2026, 6, 2)
    assert (police.attendance_percent, police.drifting) == (100, False)
    assert (shop.last_participation, shop.drifting, shop.attendance_percent) == (None, True, 0)
    assert overview.rhythm.last_held == date(2026, 6, 1)
    assert {load.name for load in overview.load} == {"Cora Coordinator", "Mats Member", "Vera Viewer"}
    assert overview.attention_count >= 1
    engagement = overview.signals[0]
    assert engagement.level_label == "Warning" and engagement.symbol == "!"
    assert engagement.trend_label.endswith("30 days ago")


def test_dashboard_health_only_coordinated_partnerships_by_name(world, parts):
    def memberships(user):
        return list(Membership.objects.filter(user=user).select_related("partner__partnership"))

    found = dashboard_health(user=world.coordinator, memberships=memberships(world.coordinator))
    assert [(p, len(s)) for p, s in found] == [(world.partnership_a, len(KEYS))]
    assert dashboard_health(user=world.member, memberships=memberships(world.member)) == []
    assert selectors.dashboard_health(user=world.viewer, memberships=memberships(world.viewer)) == []
