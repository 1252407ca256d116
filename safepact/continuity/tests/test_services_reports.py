"""Progress report services: the schedule, opening a report, partners' sections, the sign-off."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.continuity import services
from safepact.continuity.models import ProgressReport, ReportSchedule, ReportSection, ReportStatus
from safepact.continuity.tests.services_support import at, events, partners
from safepact.lib import clock
from safepact.notifications.models import Notification
from safepact.partnerships.models import Partner, PartnerStatus

Q1 = {"period_start": date(2026, 1, 1), "period_end": date(2026, 3, 31), "due_date": date(2026, 4, 14)}


def open_q1(world, **kwargs):
    return services.report_open(partnership=world.partnership_a, **{**Q1, **kwargs})


def section_of(report, partner) -> ReportSection:
    return ReportSection.objects.get(report=report, partner=partner)


# Schedule ------------------------------------------------------------------------------------------


def test_schedule_set_creates_then_updates_with_audit(world):
    schedule = services.schedule_set(
        actor=world.coordinator,
        partnership=world.partnership_a,
        frequency="quarterly",
        starts_on=date(2026, 1, 1),
    )
    assert (schedule.frequency, schedule.days_to_contribute, schedule.remind_days_before) == (
        "quarterly",
        14,
        3,
    )
    assert schedule.active
    services.schedule_set(
        actor=world.coordinator,
        partnership=world.partnership_a,
        frequency="monthly",
        starts_on=date(2026, 1, 1),
        days_to_contribute=10,
    )
    assert ReportSchedule.objects.count() == 1
    schedule.refresh_from_db()
    assert (schedule.frequency, schedule.days_to_contribute) == ("monthly", 10)
    first, second = events("continuity.schedule.changed").order_by("seq")
    assert first.after["frequency"] == "quarterly"
    assert second.before == {"frequency": "quarterly", "days_to_contribute": 14}
    assert second.after == {"frequency": "monthly", "days_to_contribute": 10}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"frequency": "weekly"}, "frequency"),
        ({"starts_on": None}, "starts_on"),
        ({"days_to_contribute": 0}, "days_to_contribute"),
        ({"days_to_contribute": "many"}, "days_to_contribute"),
        ({"remind_days_before": -1}, "remind_days_before"),
        ({"days_to_contribute": 5, "remind_days_before": 6}, "remind_days_before"),
    ],
)
def test_schedule_refuses_bad_input(world, changes, field):
    arguments = {"frequency": "quarterly", "starts_on": date(2026, 1, 1), **changes}
    with pytest.raises(ValidationError) as error:
        services.schedule_set(actor=world.coordinator, partnership=world.partnership_a, **arguments)
    assert field in error.value.message_dict
    assert not ReportSchedule.objects.exists()


def test_schedule_is_for_coordinators(world):
    for actor in (world.member, world.viewer):
        with pytest.raises(PermissionDenied):
            services.schedule_set(
                actor=actor, partnership=world.partnership_a, frequency="monthly", starts_on=date(2026, 1, 1)
            )
    with pytest.raises(Http404):
        services.schedule_set(
            actor=world.outsider,
            partnership=world.partnership_a,
            frequency="monthly",
            starts_on=date(2026, 1, 1),
        )
    assert not ReportSchedule.objects.exists()


# Opening a report ----------------------------------------------------------------------------------


def test_report_open_creates_sections_and_notifies_write_members(world):
    report = open_q1(world)
    p = partners(world)
    assert set(report.sections.values_list("partner", flat=True)) == {p.police.pk, p.city.pk, p.shop.pk}
    notes = Notification.objects.filter(kind="continuity.report_open")
    # Coordinator (police) and member (city); the viewer of the shop has no write role.
    assert {n.recipient for n in notes} == {world.coordinator, world.member}
    member_note = notes.get(recipient=world.member)
    assert str(section_of(report, p.city).code) in member_note.url
    assert "please fill in your section" in member_note.title
    assert member_note.tlp == "green"
    assert member_note.partnership == world.partnership_a
    event = events("continuity.report.opened").get()
    assert event.actor_label == "safepact"
    assert event.actor_code == ""
    assert len(event.after["sections"]) == 3


def test_report_open_is_idempotent(world):
    first = open_q1(world)
    again = open_q1(world, due_date=date(2026, 5, 1))
    assert again.pk == first.pk
    assert again.due_date == date(2026, 4, 14)
    assert ProgressReport.objects.count() == 1
    assert ReportSection.objects.count() == 3
    assert Notification.objects.filter(kind="continuity.report_open").count() == 2
    assert events("continuity.report.opened").count() == 1


def test_report_open_skips_partners_not_active(world):
    shop = partners(world).shop
    Partner.objects.filter(pk=shop.pk).update(status=PartnerStatus.SUSPENDED)
    report = open_q1(world)
    assert not report.sections.filter(partner=shop).exists()
    assert report.sections.count() == 2


def test_report_open_by_hand_needs_a_coordinator(world):
    with pytest.raises(PermissionDenied):
        open_q1(world, actor=world.member)
    with pytest.raises(Http404):
        open_q1(world, actor=world.outsider)
    assert not ProgressReport.objects.exists()
    report = open_q1(world, actor=world.coordinator)
    assert events("continuity.report.opened").get().actor_code == str(world.coordinator.code)
    assert report.status == ReportStatus.COLLECTING


def test_report_open_refuses_a_period_ending_before_it_starts(world):
    with pytest.raises(ValidationError) as error:
        open_q1(world, period_end=date(2025, 12, 31))
    assert "period_end" in error.value.message_dict
    assert not ProgressReport.objects.exists()


# Sections ------------------------------------------------------------------------------------------


def test_member_saves_then_submits_own_section(world):
    report = open_q1(world)
    section = section_of(report, partners(world).city)
    with clock.frozen(at(date(2026, 4, 3))):
        services.section_save(
            actor=world.member, section=section, activities_done="Two evening visits.", hours_used="12.5"
        )
    section.refresh_from_db()
    assert section.activities_done == "Two evening visits."
    assert section.hours_used == Decimal("12.5")
    assert section.submitted_at is None
    saved = events("continuity.section.saved").get()
    assert saved.before == {"activities_done": "", "hours_used": "0.0"}
    assert saved.after == {"activities_done": "Two evening visits.", "hours_used": "12.5"}
    with clock.frozen(at(date(2026, 4, 5))):
        services.section_save(actor=world.member, section=section, submit=True, outputs="A leaflet.")
    section.refresh_from_db()
    assert section.submitted_at == at(date(2026, 4, 5))
    assert section.submitted_by == world.member
    submitted = events("continuity.section.submitted").get()
    assert submitted.after["submitted"] is True
    assert submitted.after["outputs"] == "A leaflet."


def test_saving_after_submit_keeps_it_submitted(world):
    report = open_q1(world)
    section = section_of(report, partners(world).city)
    with clock.frozen(at(date(2026, 4, 5))):
        services.section_save(actor=world.member, section=section, submit=True, outputs="A leaflet.")
    with clock.frozen(at(date(2026, 4, 6))):
        services.section_save(actor=world.member, section=section, outputs="A leaflet and a poster.")
    section.refresh_from_db()
    assert section.submitted_at == at(date(2026, 4, 5))
    with clock.frozen(at(date(2026, 4, 7))):
        services.section_save(actor=world.member, section=section, submit=True)
    section.refresh_from_db()
    assert section.submitted_at == at(date(2026, 4, 7))
    assert events("continuity.section.submitted").count() == 2
    assert events("continuity.section.submitted").order_by("seq").last().after["resubmitted"] is True


def test_coordinator_writes_own_partners_section_but_not_anothers(world):
    report = open_q1(world)
    p = partners(world)
    services.section_save(
        actor=world.coordinator, section=section_of(report, p.police), problems="Staff ill."
    )
    assert section_of(report, p.police).problems == "Staff ill."
    city = section_of(report, p.city)
    with pytest.raises(PermissionDenied):
        services.section_save(actor=world.coordinator, section=city, problems="Written for them.")
    assert section_of(report, p.city).problems == ""


def test_viewer_and_outsiders_cannot_write_sections(world):
    report = open_q1(world)
    shop = section_of(report, partners(world).shop)
    with pytest.raises(PermissionDenied):
        services.section_save(actor=world.viewer, section=shop, outputs="Stickers.")
    with pytest.raises(Http404):
        services.section_save(actor=world.outsider, section=shop, outputs="Stickers.")
    with pytest.raises(Http404):
        services.section_save(actor=world.coordinator_b, section=shop, outputs="Stickers.")
    assert section_of(report, partners(world).shop).outputs == ""
    assert not events("continuity.section.saved").exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"hours_used": "-1"}, "hours_used"),
        ({"money_used": "lots"}, "money_used"),
        ({"money_used": "NaN"}, "money_used"),
        ({"problems": "x" * 20_001}, "problems"),
        ({"submitted_at": None}, "submitted_at"),
    ],
)
def test_section_refuses_bad_input(world, fields, field):
    report = open_q1(world)
    section = section_of(report, partners(world).city)
    with pytest.raises(ValidationError) as error:
        services.section_save(actor=world.member, section=section, submit=True, **fields)
    assert field in error.value.message_dict
    section.refresh_from_db()
    assert section.submitted_at is None
    assert section.hours_used == 0


# Sign-off ------------------------------------------------------------------------------------------


def test_sign_off_freezes_the_report_and_tells_every_member(world):
    report = open_q1(world)
    city = section_of(report, partners(world).city)
    services.section_save(actor=world.member, section=city, submit=True, outputs="A leaflet.")
    with clock.frozen(at(date(2026, 4, 20))):
        services.report_sign_off(actor=world.coordinator, report=report, summary="A good quarter.")
    report.refresh_from_db()
    assert report.status == ReportStatus.SIGNED_OFF
    assert report.signed_off_by == world.coordinator
    assert report.signed_off_at == at(date(2026, 4, 20))
    assert report.summary == "A good quarter."
    notes = Notification.objects.filter(kind="continuity.report_signed_off")
    assert {n.recipient for n in notes} == {world.coordinator, world.member, world.viewer}
    assert all(str(report.code) in n.url for n in notes)
    event = events("continuity.report.signed_off").get()
    assert event.after["status"] == "signed_off"
    assert len(event.after["sections_missing"]) == 2
    with pytest.raises(ValidationError) as error:
        services.section_save(actor=world.member, section=city, outputs="Changed later.")
    assert error.value.message_dict["status"] == ["The report is signed off."]
    assert section_of(report, partners(world).city).outputs == "A leaflet."


def test_sign_off_refuses_twice(world):
    report = open_q1(world)
    services.report_sign_off(actor=world.coordinator, report=report, summary="Done.")
    with pytest.raises(ValidationError) as error:
        services.report_sign_off(actor=world.coordinator, report=report, summary="Again.")
    assert "status" in error.value.message_dict
    report.refresh_from_db()
    assert report.summary == "Done."
    assert events("continuity.report.signed_off").count() == 1


def test_sign_off_needs_a_summary_and_a_coordinator(world):
    report = open_q1(world)
    with pytest.raises(ValidationError) as error:
        services.report_sign_off(actor=world.coordinator, report=report, summary="   ")
    assert "summary" in error.value.message_dict
    for actor in (world.member, world.viewer):
        with pytest.raises(PermissionDenied):
            services.report_sign_off(actor=actor, report=report, summary="Mine.")
    with pytest.raises(Http404):
        services.report_sign_off(actor=world.coordinator_b, report=report, summary="Theirs.")
    report.refresh_from_db()
    assert report.status == ReportStatus.COLLECTING
    assert report.signed_off_at is None
    assert not Notification.objects.filter(kind="continuity.report_signed_off").exists()
