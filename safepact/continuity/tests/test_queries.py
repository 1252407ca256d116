"""Query budgets: ``signals_for`` uses a fixed number of queries (at most 20) whatever the number of
partnerships and partners; ``continuity_overview`` at most 25; ``dashboard_health`` one ``signals_for``."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_user
from safepact.accounts.models import Organisation
from safepact.agreements.models import Agreement, Formality, Kind
from safepact.agreements.models import Status as AgreementStatus
from safepact.continuity.models import ResourceKind
from safepact.continuity.signals import continuity_overview, dashboard_health, signals_for
from safepact.continuity.tests.signals_support import (
    action_item,
    activity,
    actual,
    at,
    commitment,
    meeting,
    report,
    thresholds,
)
from safepact.meetings.models import Status
from safepact.partnerships.models import Membership, Partner, Partnership, PartnerStatus, Role

ON = date(2026, 6, 15)


def _partnership(coordinator, n: int, partners: int = 3) -> Partnership:
    """A partnership with ``partners`` active partners (one member each; ``coordinator`` coordinates
    through the first) and a bit of everything every rule reads."""
    partnership = Partnership.objects.create(name=f"Partnership {n:02d}", purpose="Safety.")
    found = []
    for k in range(partners):
        org = Organisation.objects.create(name=f"Org {n}-{k}", kind="business")
        partner = Partner.objects.create(
            partnership=partnership,
            organisation=org,
            status=PartnerStatus.ACTIVE,
            joined_at=at(date(2025, 1, 1)),
        )
        user = coordinator if k == 0 else make_user(f"p{n}-{k}@example.org")
        Membership.objects.create(
            partner=partner, user=user, role=Role.COORDINATOR if k == 0 else Role.MEMBER
        )
        found.append(partner)
    thresholds(partnership, disengagement_days=60)
    held = meeting(partnership, coordinator, date(2026, 5, 5), status=Status.HELD, attended=found[:2])
    meeting(partnership, coordinator, date(2026, 6, 20), hours=9)
    action_item(held, coordinator, found[1], due=date(2026, 5, 20))
    first = activity(partnership, coordinator, found[0], start=date(2026, 4, 1), due=date(2026, 6, 1))
    second = activity(partnership, coordinator, found[1], start=date(2026, 6, 2), due=date(2026, 7, 1))
    second.depends_on.add(first)
    report(
        partnership,
        found,
        start=date(2026, 1, 1),
        end=date(2026, 3, 31),
        due=date(2026, 4, 14),
        submitted=found[:1],
    )
    commitment(
        partnership,
        found[0],
        coordinator,
        kind=ResourceKind.FUNDING,
        amount=1000,
        starts_on=date(2026, 1, 1),
        ends_on=ON + timedelta(days=40),
        source="Fund",
    )
    hours = commitment(
        partnership, found[1], coordinator, kind=ResourceKind.HOURS, amount=10, starts_on=date(2025, 1, 1)
    )
    actual(hours, date(2026, 4, 1), 2, coordinator)
    Agreement.objects.create(
        partnership=partnership,
        kind=Kind.values[0],
        formality=Formality.values[0],
        language="en",
        title="Covenant",
        status=AgreementStatus.IN_FORCE,
        final_sha256="0" * 64,
        review_date=ON + timedelta(days=5),
    )
    return partnership


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_signals_for_is_query_constant_in_partnerships_and_partners():
    coordinator = make_user("cora@example.org", "Cora")
    one = [_partnership(coordinator, 0).pk]
    ten = one + [_partnership(coordinator, n, partners=3 + n).pk for n in range(1, 10)]
    n_one = _count(lambda: signals_for(one, on=ON))
    n_ten = _count(lambda: signals_for(ten, on=ON))
    assert n_one == n_ten
    assert n_ten <= 20
    found = signals_for(ten, on=ON)
    assert set(found) == set(ten)
    levels = {s.key: s.level for s in found[ten[3]]}
    assert levels == {
        "engagement": "danger",  # 4 of 6 partners never took part
        "meeting_load": "warning",
        "meeting_rhythm": "ok",
        "overdue_actions": "warning",
        "overdue_reports": "danger",
        "funding_runway": "warning",
        "underspend": "warning",
        "agreements": "warning",
    }


@pytest.mark.django_db
def test_overview_and_dashboard_health_budgets(django_assert_max_num_queries):
    coordinator = make_user("cora@example.org", "Cora")
    partnerships = [_partnership(coordinator, n, partners=4) for n in range(6)]
    with django_assert_max_num_queries(25):
        overview = continuity_overview(user=coordinator, partnership=partnerships[0], on=ON)
    assert len(overview.partners) == 4
    memberships = list(
        Membership.objects.filter(user=coordinator).select_related(
            "partner__partnership", "partner__organisation"
        )
    )
    few = _count(lambda: dashboard_health(user=coordinator, memberships=memberships[:1]))
    many = _count(lambda: dashboard_health(user=coordinator, memberships=memberships))
    assert few == many <= 20
    assert signals_for([], on=ON) == {}
