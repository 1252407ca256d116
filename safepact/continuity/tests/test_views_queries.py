"""Query counts of the continuity pages and the dashboard: the same for a few rows as for many activities,
reports, sections, commitments, partners and partnerships (no query per row)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_org
from safepact.continuity import services
from safepact.continuity.tests.services_support import at
from safepact.continuity.tests.views_support import TODAY, make_things
from safepact.lib import clock
from safepact.partnerships.services import partner_add, partnership_create


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(at(TODAY)):
        yield


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def grow(world, things, n: int) -> None:
    """``n`` more partners, activities, reports and commitments in partnership A."""
    a = world.partnership_a
    for i in range(n):
        partner = partner_add(
            actor=world.coordinator,
            partnership=a,
            organisation=make_org(world.coordinator, f"Extra partner {i:02d}", "business", "SE"),
            status="active",
        )
        activity = services.activity_create(
            actor=world.coordinator,
            partnership=a,
            title=f"Activity {i}",
            owner_partner=partner,
            start_date=date(2026, 1, 1) + timedelta(days=i),
            due_date=date(2026, 3, 1) + timedelta(days=10 * i),
            depends_on=[things.city_activity],
        )
        services.activity_set_status(actor=world.coordinator, activity=activity, status="in_progress")
        commitment = services.commitment_create(
            actor=world.coordinator,
            partnership=a,
            partner=partner,
            kind="funding" if i % 2 else "hours",
            amount=Decimal(10 + i),
            starts_on=date(2025, 6, 1),
            ends_on=date(2026, 8, 1) if i % 2 else None,
            source="Fund" if i % 2 else "",
        )
        services.actual_record(
            actor=world.coordinator, commitment=commitment, month=date(2026, 3, 1), amount=5
        )
        services.report_open(
            partnership=a,
            period_start=date(2024, 1, 1) + timedelta(days=31 * i),
            period_end=date(2024, 1, 28) + timedelta(days=31 * i),
            due_date=date(2024, 2, 10) + timedelta(days=31 * i),
        )


PAGES = ["overview", "plan", "reports", "resources", "plan_svg", "resources_svg"]


def test_pages_use_a_fixed_number_of_queries(client_for, world):
    things = make_things(world)
    client = client_for(world.coordinator)
    urls = {name: reverse(f"continuity:{name}", args=[world.partnership_a.code]) for name in PAGES}
    detail = reverse("continuity:report_detail", args=[world.partnership_a.code, things.report.code])
    few = {name: queries(client, u) for name, u in urls.items()} | {"detail": queries(client, detail)}

    grow(world, things, 6)

    many = {name: queries(client, u) for name, u in urls.items()}
    many["detail"] = queries(client, detail)
    assert many == few
    assert max(many.values()) <= 40, many


def test_dashboard_is_query_constant_over_the_partnerships_coordinated(client_for, world):
    make_things(world)
    client = client_for(world.coordinator)
    dashboard = reverse("partnerships:dashboard")
    panel = reverse("continuity:mine")  # the table the dashboard's panel loads
    one, one_panel = queries(client, dashboard), queries(client, panel)

    for i in range(5):
        organisation = make_org(world.coordinator, f"Police district {i}", "law_enforcement", "SE")
        partnership = partnership_create(
            actor=world.coordinator,
            organisation=organisation,
            name=f"Partnership {i}",
            purpose="Safety.",
            country="SE",
            crime_areas=["burglary"],
        )
        services.commitment_create(
            actor=world.coordinator,
            partnership=partnership,
            partner=partnership.partners.get(),
            kind="funding",
            amount=Decimal(1000),
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 6, 1),
            source="City",
        )

    page = client.get(panel, HTTP_HX_REQUEST="true").content.decode()
    assert page.count('data-partnership="') == 6
    assert queries(client, dashboard) == one
    assert queries(client, panel) == one_panel
