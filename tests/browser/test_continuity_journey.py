"""Working together and continuity, in a real browser: the coordinator schedules a meeting, records who
came and an action item, and finds the action in the action plan; a partner fills in and submits its
section of the progress report; the coordinator signs the report off; the continuity overview changes
(meetings held again, no report overdue). axe finds no serious accessibility problem on any page."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from safepact.continuity import services as continuity_services
from safepact.continuity.models import ProgressReport, ReportStatus
from safepact.lib import clock
from safepact.meetings.models import ATTENDED, Meeting, Participant
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)

MEETING = "Graffiti hotspots: thematic discussion"
ACTION = "Map the graffiti hotspots around Nobelvägen"


def log_in(page, user):
    page.goto("/account/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("partnerships", ignore_case=True)


def log_out(page):
    page.get_by_role("button", name=re.compile("log out", re.I)).click()


def signal_level(page, key: str) -> str:
    return page.locator(f"[data-signal='{key}']").get_attribute("data-level")


def test_meeting_attendance_action_plan_report_section_sign_off_and_the_overview_changes(page, world):
    today = clock.today()
    # The last quarter's report is open and its deadline has passed: the overview warns about it.
    report = continuity_services.report_open(
        partnership=world.partnership_a,
        period_start=today - timedelta(days=100),
        period_end=today - timedelta(days=10),
        due_date=today - timedelta(days=2),
    )
    overview = f"/p/{world.partnership_a.code}/continuity/"

    log_in(page, world.coordinator)
    page.goto(overview)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Continuity")
    assert_accessible(page)
    assert signal_level(page, "overdue_reports") in ("warning", "danger")
    assert signal_level(page, "meeting_rhythm") in ("warning", "danger")  # no meeting ever held

    # Schedule a thematic discussion (it took place yesterday: recorded afterwards).
    page.goto(f"/p/{world.partnership_a.code}/meetings/")
    assert_accessible(page)
    page.get_by_role("link", name="Schedule a meeting").click()
    assert_accessible(page)
    page.get_by_label("Thematic discussion").check()
    page.get_by_label("Title").fill(MEETING)
    page.get_by_label("Date").fill((today - timedelta(days=1)).isoformat())
    page.get_by_label("Start time").fill("14:00")
    page.get_by_label("End time").fill("15:30")
    page.get_by_label("Place").fill("Sofielund community centre")
    page.get_by_label("Agenda (Markdown)").fill("- Where graffiti returns\n- Who removes it within 48 hours")
    page.get_by_role("button", name=re.compile("schedule|save", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(MEETING)
    assert_accessible(page)
    meeting = Meeting.objects.get(title=MEETING)
    assert meeting.participants.count() == 3  # every active member was invited

    # Attendance: the coordinator and the city in person, the property owners online.
    page.get_by_role("link", name=re.compile("attendance", re.I)).first.click()
    assert_accessible(page)
    radios = page.locator("input[type=radio][value=in_person]")
    for index in range(radios.count()):
        radios.nth(index).check()
    page.locator("input[type=radio][value=online]").last.check()
    page.get_by_role("button", name=re.compile("save", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(MEETING)
    assert Participant.objects.filter(meeting=meeting, attendance__in=ATTENDED).count() == 3

    # An action item for the city, due in a week.
    form = page.locator("#action-form")
    form.get_by_label("Action").fill(ACTION)
    form.get_by_label("Owner (partner)").select_option(label="Malmö stad")
    form.get_by_label("Due").fill((today + timedelta(days=7)).isoformat())
    form.get_by_role("button", name="Add the action").click()
    expect(page.locator("main")).to_contain_text(ACTION)
    assert_accessible(page)

    # It is in the action plan, with its owner.
    page.goto(f"/p/{world.partnership_a.code}/continuity/plan/")
    assert_accessible(page)
    row = page.get_by_role("row").filter(has_text=ACTION)
    expect(row).to_contain_text("Malmö stad")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    log_out(page)

    # The city's member fills in the city's section of the report and submits it.
    log_in(page, world.member)
    page.goto(f"/p/{world.partnership_a.code}/continuity/reports/{report.code}/")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("fill in", re.I)).first.click()
    expect(page.get_by_label("Activities done")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Activities done").fill("Two clean-up patrols; graffiti removed at six places.")
    page.get_by_label("Outputs").fill("Six walls cleaned within 48 hours.")
    page.get_by_label("Problems").fill("One wall owner could not be reached.")
    page.get_by_label("Next steps").fill("Map the hotspots with the police.")
    page.get_by_label("Hours spent").fill("42")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".messages")).to_contain_text("submitted", ignore_case=True)
    log_out(page)

    # The coordinator compiles and signs off.
    log_in(page, world.coordinator)
    page.goto(f"/p/{world.partnership_a.code}/continuity/reports/{report.code}/")
    expect(page.locator("main")).to_contain_text("Two clean-up patrols")
    page.get_by_role("link", name="Sign off").click()
    assert_accessible(page)
    page.get_by_label(re.compile("summary", re.I)).fill(
        "A good quarter; the housing company's section is missing."
    )
    page.get_by_role("button", name="Sign off").click()
    expect(page.locator(".messages")).to_contain_text("signed off", ignore_case=True)
    report.refresh_from_db()
    assert report.status == ReportStatus.SIGNED_OFF
    assert ProgressReport.objects.get(pk=report.pk).signed_off_by == world.coordinator

    # The overview has changed: a meeting was held, and no report is overdue any more.
    page.goto(overview)
    assert_accessible(page)
    assert signal_level(page, "overdue_reports") == "ok"
    assert signal_level(page, "meeting_rhythm") == "ok"
    expect(page.get_by_role("row").filter(has_text="Malmö stad")).to_contain_text("1 of 1")
