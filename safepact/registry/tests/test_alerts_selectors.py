"""Reading alerts: law enforcement only (partners 403, outsiders 404), filters, a fixed number of queries
whatever the number of alerts, and the registry's home page summary."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from safepact.lib import clock
from safepact.partnerships.selectors import get_partnership_for_user
from safepact.registry import selectors, services
from safepact.registry.models import Category, Check
from safepact.registry.tests.alerts_factories import (
    NOW,
    boat_alert,
    engine,
    law_enforcement_in_b,
    logged_check,
)

pytestmark = pytest.mark.django_db

REFUSED = [
    ("marina", PermissionDenied),
    ("city", PermissionDenied),
    ("viewer", PermissionDenied),
    ("outsider", Http404),
    ("coordinator_b", Http404),
]


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def alerts(reg, user=None, **filters):
    return list(selectors.alert_list(user=user or reg.officer, partnership=reg.partnership, **filters))


# alert_list ----------------------------------------------------------------------------------------


def test_every_law_enforcement_member_sees_every_alert_newest_first(reg):
    first = boat_alert(reg)
    clock.advance(timedelta(minutes=1))
    second = boat_alert(reg, by=reg.customs, identifiers=[engine(1)], category="boat_engine")
    for user in (reg.police, reg.officer, reg.customs):
        assert alerts(reg, user) == [second, first]
    rows = alerts(reg)
    assert [a.identifier_count for a in rows] == [1, 3]
    assert [a.owner.organisation.name for a in rows] == ["Tullverket Syd", "Polisen Malmö"]


def test_filters(reg):
    boat = boat_alert(reg)
    clock.advance(timedelta(minutes=1))
    engine_alert = boat_alert(
        reg,
        by=reg.customs,
        identifiers=[engine(1)],
        category="boat_engine",
        case_reference="TV-2026-77",
        description="Outboard engine, 60 hp.",
    )
    services.alert_set_status(user=reg.customs, alert=engine_alert, status="located")
    assert alerts(reg, status="active") == [boat]
    assert alerts(reg, status="located") == [engine_alert]
    assert alerts(reg, category="boat_engine") == [engine_alert]
    assert alerts(reg, mine=True) == [boat]
    assert alerts(reg, reg.customs, mine=True) == [engine_alert]
    assert alerts(reg, q=boat.reference) == [boat]
    assert alerts(reg, q="tv-2026") == [engine_alert]
    assert alerts(reg, q="blue stripe") == [boat]
    # an identifier, in any spelling
    assert alerts(reg, q="nl xyz 98765") == [boat]
    assert alerts(reg, q="MX-0000001") == [engine_alert]
    assert alerts(reg, q="nothing like it") == []


@pytest.mark.parametrize(("persona", "error"), REFUSED)
def test_partners_and_outsiders_may_not_list_alerts(reg, persona, error):
    boat_alert(reg)
    with pytest.raises(error):
        alerts(reg, getattr(reg, persona))


def test_alerts_of_another_partnership_are_not_listed(reg):
    boat_alert(reg)
    agent = law_enforcement_in_b(reg)
    assert list(selectors.alert_list(user=agent, partnership=reg.world.partnership_b)) == []
    with pytest.raises(Http404):
        selectors.alert_list(user=agent, partnership=reg.partnership)


@pytest.mark.parametrize("count", [2, 12])
def test_the_list_takes_the_same_queries_for_few_or_many(reg, count, django_assert_max_num_queries):
    for n in range(count):
        boat_alert(reg, by=reg.customs if n % 2 else reg.police, identifiers=[engine(n), engine(100 + n)])
    with django_assert_max_num_queries(2):
        rows = alerts(reg)
        assert [(a.reference, a.owner.organisation.name, a.identifier_count) for a in rows]
    assert len(rows) == count
    # with the partnership from the access helper (the views' path), one query
    partnership = get_partnership_for_user(reg.officer, reg.partnership.code)
    with django_assert_max_num_queries(1):
        rows = list(selectors.alert_list(user=reg.officer, partnership=partnership, q="MX"))
        assert [a.owner.organisation.name for a in rows]


def test_a_partnership_fetched_for_someone_else_is_checked_again(reg):
    police_view = get_partnership_for_user(reg.police, reg.partnership.code)
    with pytest.raises(PermissionDenied):
        selectors.alert_list(user=reg.marina, partnership=police_view)


# get_alert -----------------------------------------------------------------------------------------


def test_get_alert(reg, django_assert_max_num_queries):
    boat = boat_alert(reg)
    with django_assert_max_num_queries(3):
        found = selectors.get_alert(user=reg.customs, partnership=reg.partnership, code=str(boat.code))
        assert [i.kind for i in found.identifiers.all()] == ["hin", "hin", "engine"]
        assert found.owner.organisation.name == "Polisen Malmö"
    assert found == boat


@pytest.mark.parametrize("code", ["nonsense", "00000000-0000-0000-0000-000000000000"])
def test_get_alert_unknown(reg, code):
    with pytest.raises(Http404):
        selectors.get_alert(user=reg.police, partnership=reg.partnership, code=code)


def test_get_alert_of_another_partnership_is_not_found(reg):
    boat = boat_alert(reg)
    agent = law_enforcement_in_b(reg)
    with pytest.raises(Http404):
        selectors.get_alert(user=agent, partnership=reg.world.partnership_b, code=boat.code)


@pytest.mark.parametrize(("persona", "error"), REFUSED)
def test_get_alert_refused(reg, persona, error):
    boat = boat_alert(reg)
    with pytest.raises(error):
        selectors.get_alert(user=getattr(reg, persona), partnership=reg.partnership, code=boat.code)


# Summary -------------------------------------------------------------------------------------------


def test_the_summary_for_law_enforcement(reg, django_assert_max_num_queries):
    boat_alert(reg)
    boat_alert(reg, by=reg.customs, identifiers=[engine(1)], category="boat_engine")
    located = boat_alert(reg, identifiers=[engine(2)], category="boat_engine")
    services.alert_set_status(user=reg.police, alert=located, status="located")
    with django_assert_max_num_queries(4):
        summary = selectors.registry_summary(user=reg.officer, partnership=reg.partnership)
    assert summary["active_alerts"] == 2
    assert summary["by_category"] == [
        {"category": "boat", "label": Category.BOAT.label, "count": 1},
        {"category": "boat_engine", "label": Category.BOAT_ENGINE.label, "count": 1},
    ]
    assert summary["open_hits"] == 0
    assert summary["checks_today"] == 0
    assert summary["is_law_enforcement"] is True


def test_the_summary_for_a_partner_counts_their_checks_today(reg, django_assert_max_num_queries):
    boat_alert(reg)
    logged_check(reg, when=NOW - timedelta(hours=1))
    logged_check(reg, when=NOW - timedelta(minutes=5))
    logged_check(reg, when=NOW - timedelta(days=1))
    logged_check(reg, user=reg.city, when=NOW)
    assert Check.objects.count() == 4
    with django_assert_max_num_queries(3):
        summary = selectors.registry_summary(user=reg.marina, partnership=reg.partnership)
    assert summary["checks_today"] == 2
    assert summary["open_hits"] is None
    assert summary["is_law_enforcement"] is False
    assert summary["can_check"] is True
    assert selectors.registry_summary(user=reg.viewer, partnership=reg.partnership)["can_check"] is False


def test_the_summary_is_not_for_outsiders(reg):
    with pytest.raises(Http404):
        selectors.registry_summary(user=reg.outsider, partnership=reg.partnership)
