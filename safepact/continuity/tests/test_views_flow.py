"""Flows through the continuity pages: the action plan, reports (schedule, sections, sign-off),
resources, settings, the overview and the dashboard panel."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.continuity.models import (
    Activity,
    Actual,
    Commitment,
    ContinuitySettings,
    ReportSchedule,
    ReportSection,
    ReportStatus,
)
from safepact.continuity.tests.services_support import at
from safepact.continuity.tests.views_support import TODAY, make_things
from safepact.lib import clock


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(at(TODAY)):
        yield


@pytest.fixture
def things(world):
    return make_things(world)


def url(world, name, *args):
    return reverse(f"continuity:{name}", args=[world.partnership_a.code, *args])


def text(response) -> str:
    return " ".join(response.content.decode().split())


# Action plan ----------------------------------------------------------------------------------------


def test_plan_lists_activities_marks_overdue_in_words_and_shows_the_gantt(client_for, world, things):
    response = client_for(world.viewer).get(url(world, "plan"))
    page = text(response)
    assert "Street lighting survey" in page and "Burglary prevention evenings" in page
    assert "Overdue" in page, "the city's activity was due on 30 April"
    assert "1 item is overdue." in page
    assert "<svg" in page and 'role="img"' in page
    assert "Add an activity" not in page, "viewers do not plan"
    assert 'name="status"' not in page, "viewers change no status"


def test_plan_svg_is_served_as_an_image(client_for, world, things):
    response = client_for(world.member).get(url(world, "plan_svg"))
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response.content.startswith(b"<svg")
    assert str(things.city_activity.code).encode() in response.content


def test_member_sees_the_status_form_only_for_their_partners_activity(client_for, world, things):
    page = text(client_for(world.member).get(url(world, "plan")))
    assert f'id="status-{things.city_activity.code}"' in page
    assert f'id="status-{things.police_activity.code}"' not in page


def test_coordinator_adds_edits_sets_status_and_deletes_an_activity(client_for, world, things):
    client = client_for(world.coordinator)
    data = {
        "title": "Neighbourhood walks",
        "description": "Every other Tuesday.",
        "owner_partner": str(things.partners.city.code),
        "start_date": "2026-06-01",
        "due_date": "2026-07-01",
        "depends_on": [str(things.city_activity.code)],
    }
    response = client.post(url(world, "activity_create"), data)
    assert response.status_code == 302
    walks = Activity.objects.get(title="Neighbourhood walks")
    assert list(walks.depends_on.all()) == [things.city_activity]

    response = client.post(
        url(world, "activity_update", walks.code), data | {"title": "Evening walks", "depends_on": []}
    )
    assert response.status_code == 302
    walks.refresh_from_db()
    assert walks.title == "Evening walks" and not walks.depends_on.exists()

    client.post(url(world, "activity_status", walks.code), {"status": "done"})
    walks.refresh_from_db()
    assert walks.status == "done" and walks.done_at is not None

    page = text(client.get(url(world, "activity_delete", walks.code)))
    assert "Delete “Evening walks”?" in page
    assert client.post(url(world, "activity_delete", walks.code)).status_code == 302
    assert not Activity.objects.filter(pk=walks.pk).exists()
    assert AuditEvent.objects.filter(action="continuity.activity.deleted").exists()


def test_activity_form_shows_the_services_refusal_next_to_the_field(client_for, world, things):
    response = client_for(world.coordinator).post(
        url(world, "activity_create"),
        {
            "title": "Backwards",
            "owner_partner": str(things.partners.city.code),
            "start_date": "2026-07-01",
            "due_date": "2026-06-01",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors.get("due_date")
    assert 'id="error-summary"' in response.content.decode()
    assert not Activity.objects.filter(title="Backwards").exists()


def test_delete_confirmation_names_the_dependants(client_for, world, things):
    page = text(client_for(world.coordinator).get(url(world, "activity_delete", things.city_activity.code)))
    assert "Burglary prevention evenings" in page


def test_member_sets_the_status_of_their_own_activity(client_for, world, things):
    response = client_for(world.member).post(
        url(world, "activity_status", things.city_activity.code), {"status": "in_progress"}
    )
    assert response.status_code == 302
    things.city_activity.refresh_from_db()
    assert things.city_activity.status == "in_progress"


def test_an_unknown_status_changes_nothing(client_for, world, things):
    client = client_for(world.coordinator)
    response = client.post(url(world, "activity_status", things.city_activity.code), {"status": "exploded"})
    assert response.status_code == 302
    things.city_activity.refresh_from_db()
    assert things.city_activity.status == "planned"


# Reports --------------------------------------------------------------------------------------------


def test_coordinator_sets_the_schedule_and_reports_page_shows_it(client_for, world, things):
    client = client_for(world.coordinator)
    assert "No schedule yet" in text(client.get(url(world, "reports")))
    response = client.post(
        url(world, "schedule"),
        {
            "frequency": "monthly",
            "starts_on": "2026-01-01",
            "days_to_contribute": "10",
            "remind_days_before": "2",
            "active": "on",
        },
    )
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get(partnership=world.partnership_a)
    assert (schedule.frequency, schedule.days_to_contribute, schedule.remind_days_before) == (
        "monthly",
        10,
        2,
    )
    page = text(client.get(url(world, "reports")))
    assert "Monthly" in page and "10 days after the period ends" in page
    assert "0 of 3" in page, "sections submitted of the Q1 report"
    assert "Overdue" in page, "Q1 sections were due on 14 April"


def test_member_fills_in_saves_a_draft_then_submits_their_section(client_for, world, things):
    client = client_for(world.member)
    detail = text(client.get(url(world, "report_detail", things.report.code)))
    assert "Fill in my section" in detail
    edit = url(world, "section_edit", things.report.code, things.city_section.code)
    assert 'name="submit"' in client.get(edit).content.decode()
    fields = {
        "activities_done": "Surveyed 40 streets.",
        "outputs": "A map of dark spots.",
        "problems": "Two lamps broken for weeks.",
        "next_steps": "Ask the utility to repair.",
        "hours_used": "12.5",
        "money_used": "0",
    }
    assert client.post(edit, fields | {"save": "draft"}).status_code == 302
    section = ReportSection.objects.get(pk=things.city_section.pk)
    assert section.activities_done == "Surveyed 40 streets." and section.submitted_at is None
    assert client.post(edit, fields | {"submit": "submit"}).status_code == 302
    section.refresh_from_db()
    assert section.submitted_at is not None and section.submitted_by == world.member
    assert section.hours_used == Decimal("12.5")

    page = text(client.get(url(world, "report_detail", things.report.code)))
    assert "A map of dark spots." in page
    assert "1 of 3" in page
    missing = page.split('id="missing-sections">')[1].split("</ul>")[0]
    assert "Polisen Malmö" in missing and "Malmö stad" not in missing


def test_viewer_has_no_section_link_and_bad_numbers_are_shown_in_the_form(client_for, world, things):
    assert "Fill in my section" not in text(
        client_for(world.viewer).get(url(world, "report_detail", things.report.code))
    )
    client = client_for(world.member)
    response = client.post(
        url(world, "section_edit", things.report.code, things.city_section.code),
        {"hours_used": "-3", "money_used": "0"},
    )
    assert response.status_code == 200 and response.context["form"].errors.get("hours_used")


def test_coordinator_signs_off_after_a_confirmation_and_the_report_is_frozen(client_for, world, things):
    client = client_for(world.coordinator)
    page = text(client.get(url(world, "report_sign_off", things.report.code)))
    assert "Sign off the report" in page and "Malmö stad" in page, "the missing sections are listed"
    response = client.post(
        url(world, "report_sign_off", things.report.code), {"summary": "A **good** quarter."}
    )
    assert response.status_code == 302
    things.report.refresh_from_db()
    assert things.report.status == ReportStatus.SIGNED_OFF
    assert things.report.signed_off_by == world.coordinator

    detail = text(client.get(url(world, "report_detail", things.report.code)))
    assert "<strong>good</strong>" in detail
    assert "Compile and sign off" not in detail

    member = client_for(world.member)
    assert "Fill in my section" not in text(member.get(url(world, "report_detail", things.report.code)))
    response = member.post(
        url(world, "section_edit", things.report.code, things.city_section.code),
        {"activities_done": "Late.", "hours_used": "1", "money_used": "0"},
    )
    assert response.status_code in (200, 403)
    things.city_section.refresh_from_db()
    assert things.city_section.activities_done == ""

    again = client_for(world.coordinator).post(
        url(world, "report_sign_off", things.report.code), {"summary": "Twice."}
    )
    assert again.status_code == 200
    things.report.refresh_from_db()
    assert things.report.summary == "A **good** quarter."


def test_sign_off_needs_a_summary(client_for, world, things):
    response = client_for(world.coordinator).post(url(world, "report_sign_off", things.report.code), {})
    assert response.status_code == 200 and response.context["form"].errors.get("summary")


# Resources ------------------------------------------------------------------------------------------


def test_resources_page_shows_commitments_runway_and_warning(client_for, world, things):
    page = text(client_for(world.viewer).get(url(world, "resources")))
    assert "Crime prevention fund" in page
    assert "Funded until" in page
    assert 'id="funding-ending"' in page, "the fund ends on 30 June with nothing to replace it"
    assert "<svg" in page
    assert "Add a commitment" not in page and "Record use" not in page


def test_resources_svg_is_served_as_an_image(client_for, world, things):
    response = client_for(world.viewer).get(url(world, "resources_svg"))
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response.content.startswith(b"<svg")


def test_member_adds_a_commitment_only_for_their_partner_and_records_use(client_for, world, things):
    client = client_for(world.member)
    form = client.get(url(world, "commitment_create")).context["form"]
    assert list(form.fields["partner"].queryset) == [things.partners.city]
    response = client.post(
        url(world, "commitment_create"),
        {
            "partner": str(things.partners.police.code),
            "kind": "hours",
            "amount": "4",
            "starts_on": "2026-01-01",
        },
    )
    assert response.status_code == 200 and response.context["form"].errors.get("partner")
    response = client.post(
        url(world, "commitment_create"),
        {
            "partner": str(things.partners.city.code),
            "kind": "staff",
            "amount": "1.5",
            "starts_on": "2026-01-01",
        },
    )
    assert response.status_code == 302
    assert Commitment.objects.filter(partner=things.partners.city, kind="staff").exists()

    response = client.post(
        url(world, "actual_record", things.city_commitment.code), {"month": "2026-04", "amount": "9"}
    )
    assert response.status_code == 302
    actual = Actual.objects.get(commitment=things.city_commitment)
    assert (actual.month, actual.amount) == (date(2026, 4, 1), Decimal(9))
    page = text(client.get(url(world, "actual_record", things.city_commitment.code)))
    assert "April 2026" in page


def test_member_removes_their_own_commitment(client_for, world, things):
    client = client_for(world.member)
    assert client.post(url(world, "commitment_delete", things.city_commitment.code)).status_code == 302
    assert not Commitment.objects.filter(pk=things.city_commitment.pk).exists()


def test_commitment_edit_keeps_partner_and_kind(client_for, world, things):
    client = client_for(world.coordinator)
    response = client.post(
        url(world, "commitment_update", things.police_commitment.code),
        {
            "amount": "60000",
            "source": "Crime prevention fund",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
        },
    )
    assert response.status_code == 302
    things.police_commitment.refresh_from_db()
    assert things.police_commitment.amount == Decimal(60000)
    assert things.police_commitment.ends_on == date(2026, 12, 31)
    assert things.police_commitment.kind == "funding"


def test_a_funding_commitment_without_source_is_refused_in_the_form(client_for, world, things):
    response = client_for(world.coordinator).post(
        url(world, "commitment_create"),
        {
            "partner": str(things.partners.city.code),
            "kind": "funding",
            "amount": "100",
            "starts_on": "2026-01-01",
        },
    )
    assert response.status_code == 200 and response.context["form"].errors.get("source")


# Settings, overview, dashboard ---------------------------------------------------------------------


def test_coordinator_changes_the_thresholds(client_for, world, things):
    client = client_for(world.coordinator)
    form = client.get(url(world, "settings")).context["form"]
    assert form.initial["disengagement_days"] == 90
    response = client.post(
        url(world, "settings"),
        {
            "disengagement_days": "60",
            "runway_warning_days": "120",
            "underspend_percent": "40",
            "meeting_gap_days": "45",
        },
    )
    assert response.status_code == 302
    saved = ContinuitySettings.objects.get(partnership=world.partnership_a)
    assert (saved.disengagement_days, saved.underspend_percent) == (60, 40)
    response = client.post(
        url(world, "settings"),
        {
            "disengagement_days": "0",
            "runway_warning_days": "120",
            "underspend_percent": "140",
            "meeting_gap_days": "45",
        },
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"disengagement_days", "underspend_percent"}


def test_overview_shows_each_signal_with_level_and_trend_in_words(client_for, world, things):
    response = client_for(world.viewer).get(url(world, "overview"))
    page = text(response)
    for key in ("engagement", "meeting_rhythm", "overdue_actions", "funding_runway"):
        assert f'id="signal-{key}"' in page
    assert "than 30 days ago" in page or "the same as 30 days ago" in page
    assert any(level in page for level in ("Warning", "Act now"))
    assert "Partner engagement" in page
    for organisation in ("Polisen Malmö", "Malmö stad", "Sofielund Fastighetsägare"):
        assert organisation in page
    assert "Action plan" in page and "Progress reports" in page and "Resources" in page
    assert "Warning thresholds" not in page, "viewers do not see the settings link"


def test_dashboard_shows_the_continuity_panel_to_coordinators_only(client_for, world, things):
    client = client_for(world.coordinator)
    page = text(client.get(reverse("partnerships:dashboard")))
    assert "Continuity of the partnerships you coordinate" in page
    # The table loads into the panel (HTMX); without JavaScript the panel links to the same table.
    assert f'hx-get="{reverse("continuity:mine")}"' in page
    assert "overdue action" in page, "an attention item on the partnership's card"
    fragment = client.get(reverse("continuity:mine"), HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode()
    rows = text(fragment)
    assert f'data-partnership="{world.partnership_a.code}"' in rows
    assert "than 30 days ago" in rows or "the same as 30 days ago" in rows
    member_page = text(client_for(world.member).get(reverse("partnerships:dashboard")))
    assert "Continuity of the partnerships you coordinate" not in member_page
