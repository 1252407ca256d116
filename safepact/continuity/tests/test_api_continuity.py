"""Continuity API behaviour: the signals with evidence and trend, the action plan's activities (status by
the owner partner's members, dependencies), progress reports (sections, submit, sign-off, PDF), the
schedule, commitments and actuals, settings; bad input answered 422 naming the field; lists whose query
count does not grow with their length."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest

from safepact.continuity import services
from safepact.continuity.models import Activity, Actual, Commitment, ContinuitySettings, ReportSchedule
from safepact.continuity.tests.test_api_access import (
    base,
    call,
    make_things,
    month_ago,
    open_report,
    partner_of,
    section_of,
)
from safepact.lib import clock


@pytest.fixture
def things(world):
    return make_things(world)


def invalid(response, field: str):
    assert response.status_code == 422, response.content[:300]
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"].startswith(f"{field}:"), body
    return body


# Signals --------------------------------------------------------------------------------------------


def test_the_overview_lists_every_signal_with_evidence_and_trend(client, world, things):
    client.force_login(world.viewer)
    response = client.get(f"{base(world)}/continuity")
    assert response.status_code == 200, response.content
    body = response.json()
    keys = {s["key"] for s in body["signals"]}
    assert {"engagement", "meeting_load", "meeting_rhythm", "overdue_actions", "funding_runway"} <= keys
    for signal in body["signals"]:
        assert signal["level"] in ("ok", "warning", "danger")
        assert signal["trend"] in ("better", "worse", "same")
        assert signal["title"] and isinstance(signal["evidence"], list)
    partners = {p["organisation"]: p for p in body["partners"]}
    assert {world.org_police_a.name, world.org_city_a.name, world.org_shop_a.name} <= set(partners)
    assert partners[world.org_city_a.name]["partner"] == str(partner_of(world, world.member).code)
    assert body["on"] == clock.today().isoformat()


def test_an_overdue_activity_shows_in_the_signal(client, world, things):
    client.force_login(world.member)
    with clock.frozen(clock.now() + timedelta(days=60)):
        body = client.get(f"{base(world)}/continuity").json()
        activity = client.get(f"{base(world)}/activities/{things.city_activity.code}").json()
    overdue = next(s for s in body["signals"] if s["key"] == "overdue_actions")
    assert overdue["level"] in ("warning", "danger")
    assert any("Sofielund lighting survey" in e["text"] for e in overdue["evidence"])
    assert activity["overdue"] is True


# Activities -----------------------------------------------------------------------------------------


def test_a_coordinator_plans_an_activity_with_objective_and_dependencies(client, world, things):
    from safepact.formation.services import objectives

    objective = objectives.objective_create(
        actor=world.coordinator,
        partnership=world.partnership_a,
        title="Fewer burglaries",
        indicator="Reports",
    )
    client.force_login(world.coordinator)
    today = clock.today()
    response = call(
        client,
        "post",
        f"{base(world)}/activities",
        {
            "title": "Evening patrols",
            "description": "Twice a week.",
            "objective": str(objective.code),
            "owner_partner": str(partner_of(world, world.coordinator).code),
            "start_date": (today + timedelta(days=41)).isoformat(),
            "due_date": (today + timedelta(days=90)).isoformat(),
            "depends_on": [str(things.police_activity.code)],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["objective"] == str(objective.code) and body["objective_title"] == "Fewer burglaries"
    assert body["depends_on"] == [str(things.police_activity.code)]
    assert body["status"] == "planned" and body["overdue"] is False


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"due_date": "2020-01-01"}, "due_date"),
        ({"owner_partner": "00000000-0000-0000-0000-000000000000"}, "owner_partner"),
        ({"objective": "00000000-0000-0000-0000-000000000000"}, "objective"),
        ({"depends_on": ["00000000-0000-0000-0000-000000000000"]}, "depends_on"),
        ({"start_date": "not a date"}, "start_date"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_activities_are_refused_naming_the_field(client, world, things, changes, field):
    client.force_login(world.coordinator)
    payload = {
        "title": "Patrols",
        "owner_partner": str(partner_of(world, world.coordinator).code),
        "start_date": "2030-01-01",
        "due_date": "2030-02-01",
        **changes,
    }
    before = Activity.objects.count()
    invalid(call(client, "post", f"{base(world)}/activities", payload), field)
    assert Activity.objects.count() == before


def test_dependencies_never_make_a_cycle(client, world, things):
    client.force_login(world.coordinator)
    path = f"{base(world)}/activities/{things.city_activity.code}"
    invalid(call(client, "patch", path, {"depends_on": [str(things.police_activity.code)]}), "depends_on")
    invalid(call(client, "patch", path, {"depends_on": [str(things.city_activity.code)]}), "depends_on")
    assert not Activity.objects.get(pk=things.city_activity.pk).depends_on.exists()


def test_the_owner_partners_member_moves_the_status_and_done_records_when(client, world, things):
    client.force_login(world.member)
    path = f"{base(world)}/activities/{things.city_activity.code}"
    response = call(client, "patch", path, {"status": "done"})
    assert response.status_code == 200 and response.json()["done_at"] is not None
    response = call(client, "patch", path, {"status": "in_progress"})
    assert response.json()["done_at"] is None
    invalid(call(client, "patch", path, {"status": "finished"}), "status")


def test_a_coordinator_edits_and_deletes_activities(client, world, things):
    client.force_login(world.coordinator)
    path = f"{base(world)}/activities/{things.city_activity.code}"
    response = call(client, "patch", path, {"title": "Lighting survey, phase 1", "status": "in_progress"})
    assert response.status_code == 200, response.content
    assert (
        response.json()["title"] == "Lighting survey, phase 1" and response.json()["status"] == "in_progress"
    )
    assert (
        call(client, "delete", f"{base(world)}/activities/{things.police_activity.code}").status_code == 204
    )
    assert not Activity.objects.filter(pk=things.police_activity.pk).exists()


def test_activity_list_has_constant_queries(client, world, things, django_assert_max_num_queries):
    client.force_login(world.viewer)
    with django_assert_max_num_queries(10) as few:
        client.get(f"{base(world)}/activities")
    city = partner_of(world, world.member)
    for n in range(15):
        services.activity_create(
            actor=world.coordinator,
            partnership=world.partnership_a,
            title=f"Step {n}",
            owner_partner=city,
            start_date=clock.today(),
            due_date=clock.today(),
            depends_on=[things.city_activity],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"{base(world)}/activities").json()["count"] == 17


# Reports --------------------------------------------------------------------------------------------


def test_a_partner_fills_in_and_submits_its_section_then_the_coordinator_signs_off(client, world, things):
    city = partner_of(world, world.member)
    section = section_of(things.report, city)
    report = f"{base(world)}/reports/{things.report.code}"
    client.force_login(world.member)
    response = call(
        client,
        "patch",
        f"{report}/sections/{section.code}",
        {"activities_done": "Surveyed 40 lamps.", "hours_used": "12.5", "money_used": "300"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["submitted"] is False and Decimal(response.json()["hours_used"]) == Decimal("12.5")
    response = call(client, "patch", f"{report}/sections/{section.code}", {"submit": True})
    assert response.json()["submitted"] is True and response.json()["activities_done"] == "Surveyed 40 lamps."
    invalid(call(client, "patch", f"{report}/sections/{section.code}", {"hours_used": "-1"}), "hours_used")

    detail = client.get(report).json()
    assert detail["sections_total"] == 3 and detail["sections_submitted"] == 1
    assert world.org_city_a.name not in detail["missing"] and world.org_police_a.name in detail["missing"]

    client.force_login(world.coordinator)
    invalid(call(client, "post", f"{report}/sign-off", {"summary": ""}), "summary")
    response = call(client, "post", f"{report}/sign-off", {"summary": "The lamps are counted."})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "signed_off" and response.json()["signed_off_by"]
    invalid(call(client, "post", f"{report}/sign-off", {"summary": "Again."}), "status")
    # Frozen: the city can no longer change its section.
    client.force_login(world.member)
    response = call(client, "patch", f"{report}/sections/{section.code}", {"outputs": "Late addition."})
    assert response.status_code in (403, 422)


def test_the_report_pdf_holds_the_sections(client, world, things):
    services.section_save(
        actor=world.member,
        section=section_of(things.report, partner_of(world, world.member)),
        outputs="Forty lamps repaired.",
        submit=True,
    )
    client.force_login(world.viewer)
    response = client.get(f"{base(world)}/reports/{things.report.code}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Forty lamps repaired." in text


def test_report_list_has_constant_queries(client, world, things, django_assert_max_num_queries):
    client.force_login(world.member)
    with django_assert_max_num_queries(10) as few:
        client.get(f"{base(world)}/reports")
    for months_back in range(2, 8):
        open_report(world.partnership_a, months_back=months_back)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"{base(world)}/reports").json()["count"] == 7


def test_the_schedule(client, world):
    client.force_login(world.member)
    assert client.get(f"{base(world)}/report-schedule").json() == {
        "exists": False,
        "frequency": None,
        "starts_on": None,
        "days_to_contribute": None,
        "remind_days_before": None,
        "active": False,
    }
    client.force_login(world.coordinator)
    path = f"{base(world)}/report-schedule"
    response = call(
        client, "put", path, {"frequency": "quarterly", "starts_on": "2026-01-01", "days_to_contribute": 21}
    )
    assert response.status_code == 200, response.content
    assert response.json()["exists"] is True and response.json()["days_to_contribute"] == 21
    assert ReportSchedule.objects.get(partnership=world.partnership_a).frequency == "quarterly"
    invalid(call(client, "put", path, {"frequency": "weekly", "starts_on": "2026-01-01"}), "frequency")
    invalid(
        call(
            client, "put", path, {"frequency": "monthly", "starts_on": "2026-01-01", "days_to_contribute": 0}
        ),
        "days_to_contribute",
    )


# Commitments and actuals ----------------------------------------------------------------------------


def test_commitments_and_actual_use(client, world, things):
    client.force_login(world.member)
    b = base(world)
    items = client.get(f"{b}/commitments").json()["items"]
    hours = next(i for i in items if i["code"] == str(things.city_commitment.code))
    assert (
        Decimal(hours["used"]) == 12
        and hours["kind"] == "hours"
        and hours["organisation"] == world.org_city_a.name
    )
    response = call(
        client,
        "post",
        f"{b}/commitments/{things.city_commitment.code}/actuals",
        {"month": month_ago().replace(day=17).isoformat(), "amount": "14"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["month"] == month_ago().isoformat()
    assert Actual.objects.filter(commitment=things.city_commitment).count() == 1  # replaced, not added
    actuals = client.get(f"{b}/commitments/{things.city_commitment.code}/actuals").json()["items"]
    assert [Decimal(a["amount"]) for a in actuals] == [14]
    future = (clock.today() + timedelta(days=62)).isoformat()
    invalid(
        call(
            client,
            "post",
            f"{b}/commitments/{things.city_commitment.code}/actuals",
            {"month": future, "amount": "1"},
        ),
        "month",
    )
    invalid(
        call(
            client,
            "post",
            f"{b}/commitments/{things.city_commitment.code}/actuals",
            {"month": month_ago().isoformat(), "amount": "-1"},
        ),
        "amount",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "funding"}, "source"),
        ({"amount": "-5"}, "amount"),
        ({"ends_on": "2020-01-01"}, "ends_on"),
        ({"kind": "gold"}, "kind"),
        ({"partner": "00000000-0000-0000-0000-000000000000"}, "partner"),
    ],
)
def test_bad_commitments_are_refused_naming_the_field(client, world, changes, field):
    client.force_login(world.coordinator)
    payload = {
        "partner": str(partner_of(world, world.member).code),
        "kind": "hours",
        "amount": "8",
        "starts_on": "2026-01-01",
        **changes,
    }
    invalid(call(client, "post", f"{base(world)}/commitments", payload), field)
    assert not Commitment.objects.exists()


def test_a_commitment_changes_and_goes(client, world, things):
    client.force_login(world.member)
    path = f"{base(world)}/commitments/{things.city_commitment.code}"
    response = call(client, "patch", path, {"amount": "24", "note": None})
    assert response.status_code == 200, response.content
    assert Decimal(response.json()["amount"]) == 24 and response.json()["note"] == ""
    invalid(call(client, "patch", path, {"amount": None}), "amount")
    invalid(call(client, "patch", path, {"kind": "funding"}), "kind")
    assert call(client, "delete", path).status_code == 204
    assert not Commitment.objects.filter(pk=things.city_commitment.pk).exists()


def test_commitment_list_has_constant_queries(client, world, things, django_assert_max_num_queries):
    client.force_login(world.viewer)
    with django_assert_max_num_queries(10) as few:
        client.get(f"{base(world)}/commitments")
    city = partner_of(world, world.member)
    for n in range(10):
        commitment = services.commitment_create(
            actor=world.coordinator,
            partnership=world.partnership_a,
            partner=city,
            kind="staff",
            amount=Decimal(n),
            starts_on=month_ago(),
        )
        services.actual_record(
            actor=world.coordinator, commitment=commitment, month=month_ago(), amount=Decimal(1)
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"{base(world)}/commitments").json()["count"] == 12


# Settings -------------------------------------------------------------------------------------------


def test_settings(client, world):
    client.force_login(world.viewer)
    defaults = client.get(f"{base(world)}/continuity-settings").json()
    assert defaults == {
        "disengagement_days": 90,
        "runway_warning_days": 90,
        "underspend_percent": 50,
        "meeting_gap_days": 60,
    }
    client.force_login(world.coordinator)
    body = {**defaults, "underspend_percent": 30}
    response = call(client, "put", f"{base(world)}/continuity-settings", body)
    assert response.status_code == 200 and response.json()["underspend_percent"] == 30
    assert ContinuitySettings.objects.get(partnership=world.partnership_a).underspend_percent == 30
    invalid(
        call(client, "put", f"{base(world)}/continuity-settings", {**body, "underspend_percent": 101}),
        "underspend_percent",
    )
