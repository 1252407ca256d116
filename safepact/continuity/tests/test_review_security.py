"""Security review (R1): dates near the ends of the calendar are refused (naming the field) instead of being
stored and breaking, for every member of the partnership, the overview, the plan, the resources, the API and
the coordinators' dashboard (and, for a report schedule, the daily job of every partnership)."""

from datetime import date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from safepact.continuity import services
from safepact.continuity.models import Activity, Commitment, ReportSchedule
from safepact.continuity.tests.test_api_access import base, call, partner_of
from safepact.lib import clock


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(timezone.make_aware(datetime(2026, 5, 20, 10))):
        yield


def _pages_work(client, world):
    code = world.partnership_a.code
    for name in ("overview", "plan", "plan_svg", "resources", "resources_svg", "reports"):
        assert client.get(reverse(f"continuity:{name}", args=[code])).status_code == 200, name
    assert call(client, "get", f"{base(world)}/continuity").status_code == 200
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("starts_on", ["9999-06-01", "0001-01-01"])
def test_report_schedule_refuses_far_dates_and_the_daily_job_runs(client, world, starts_on):
    client.force_login(world.coordinator)
    body = {"frequency": "yearly", "starts_on": starts_on}
    response = call(client, "put", f"{base(world)}/report-schedule", body)
    assert response.status_code == 422, response.content[:200]
    assert response.json()["detail"].startswith("starts_on:")
    assert not ReportSchedule.objects.exists()
    services.run_daily()


def test_activity_refuses_far_dates(client, world):
    client.force_login(world.coordinator)
    partner = partner_of(world, world.coordinator)
    body = {
        "title": "Forever",
        "owner_partner": str(partner.code),
        "start_date": "0001-01-01",
        "due_date": "9999-12-31",
    }
    response = call(client, "post", f"{base(world)}/activities", body)
    assert response.status_code == 422, response.content[:200]
    assert response.json()["detail"].startswith("start_date:")
    body["start_date"] = "2026-01-01"
    response = call(client, "post", f"{base(world)}/activities", body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("due_date:")
    assert not Activity.objects.exists()
    _pages_work(client, world)


def test_a_member_cannot_break_the_coordinators_pages_with_a_far_commitment(client, world):
    client.force_login(world.member)
    partner = partner_of(world, world.member)
    body = {
        "partner": str(partner.code),
        "kind": "funding",
        "amount": "100",
        "starts_on": "2026-01-01",
        "ends_on": "9999-12-31",
        "source": "Lottery",
    }
    response = call(client, "post", f"{base(world)}/commitments", body)
    assert response.status_code == 422, response.content[:200]
    assert response.json()["detail"].startswith("ends_on:")
    assert not Commitment.objects.exists()
    client.force_login(world.coordinator)
    _pages_work(client, world)


def test_commitment_form_shows_the_error(client_for, world):
    client = client_for(world.member)
    partner = partner_of(world, world.member)
    url = reverse("continuity:commitment_create", args=[world.partnership_a.code])
    response = client.post(
        url,
        {"partner": str(partner.code), "kind": "hours", "amount": "4", "starts_on": "0001-01-01"},
    )
    assert response.status_code in (200, 422)
    assert "between 2000 and 2100" in response.content.decode()
    assert not Commitment.objects.exists()


def test_service_dates_stay_within_range(world):
    with pytest.raises(Exception) as caught:
        services.schedule_set(
            actor=world.coordinator,
            partnership=world.partnership_a,
            frequency="monthly",
            starts_on=date(9999, 12, 1),
        )
    assert getattr(caught.value, "message_dict", {}).keys() == {"starts_on"}
