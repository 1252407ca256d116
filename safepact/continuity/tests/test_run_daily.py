"""The daily job: opening the reports of ended periods, reminding late partners, telling coordinators.

Each run is made at a frozen moment (``run(day)``); partnership A has three partners: the police (the
coordinator), the city (a member) and the property owners (only a viewer, so nobody there is reminded).
"""

from datetime import date, timedelta

import pytest
from django.core import mail

from safepact.continuity import services, tasks
from safepact.continuity.models import ProgressReport, ReportReminder, ReportSection
from safepact.continuity.tests.services_support import at, events, partners
from safepact.lib import clock
from safepact.notifications.emails import render_email
from safepact.notifications.models import EmailMode, Notification, NotificationSetting
from safepact.partnerships.models import Partnership


def schedule(world, frequency="quarterly", starts_on=date(2026, 1, 1), **kwargs):
    return services.schedule_set(
        actor=world.coordinator,
        partnership=world.partnership_a,
        frequency=frequency,
        starts_on=starts_on,
        **kwargs,
    )


def run(day: date) -> services.DailyResult:
    with clock.frozen(at(day)):
        return services.run_daily()


def counts(result) -> tuple[int, int, int]:
    return result.reports_opened, result.reminders_sent, result.escalations


def reminders(kind="continuity.report_reminder"):
    return Notification.objects.filter(kind=kind)


def submit(actor, report, partner, day: date):
    section = ReportSection.objects.get(report=report, partner=partner)
    with clock.frozen(at(day)):
        services.section_save(actor=actor, section=section, submit=True, activities_done="Done things.")


def test_quarterly_report_opens_the_day_after_the_quarter_once(world):
    schedule(world)
    assert counts(run(date(2026, 3, 31))) == (0, 0, 0)
    assert not ProgressReport.objects.exists()
    result = run(date(2026, 4, 1))
    assert counts(result) == (1, 0, 0)
    report = ProgressReport.objects.get()
    assert (report.period_start, report.period_end, report.due_date) == (
        date(2026, 1, 1),
        date(2026, 3, 31),
        date(2026, 4, 14),
    )
    assert result.opened == [report]
    assert counts(run(date(2026, 4, 1))) == (0, 0, 0)
    assert counts(run(date(2026, 4, 2))) == (0, 0, 0)
    assert ProgressReport.objects.count() == 1
    assert reminders("continuity.report_open").count() == 2  # coordinator and member, once
    assert events("continuity.report.opened").count() == 1


def test_reminders_before_the_deadline_go_once_to_partners_that_have_not_submitted(world):
    schedule(world)
    run(date(2026, 4, 1))
    report = ProgressReport.objects.get()
    p = partners(world)
    submit(world.member, report, p.city, date(2026, 4, 5))
    assert counts(run(date(2026, 4, 10))) == (0, 0, 0)
    result = run(date(2026, 4, 11))  # three days before 14 April
    assert counts(result) == (0, 2, 0)  # police and shop; the city has submitted
    assert set(ReportReminder.objects.values_list("partner", "kind")) == {
        (p.police.pk, "before"),
        (p.shop.pk, "before"),
    }
    # The shop takes part only through a viewer: nobody there can write, nobody is told.
    assert ReportReminder.objects.get(partner=p.shop).recipients == 0
    assert [n.recipient for n in reminders()] == [world.coordinator]
    note = reminders().get()
    section = ReportSection.objects.get(report=report, partner=p.police)
    assert str(section.code) in note.url
    assert "is due on" in note.title
    assert note.tlp == "green"
    for day in (12, 13, 14):
        assert counts(run(date(2026, 4, day))) == (0, 0, 0)
    assert reminders().count() == 1
    assert events("continuity.report.reminded").count() == 1
    event = events("continuity.report.reminded").get()
    assert event.actor_label == "safepact"
    assert event.after["kind"] == "before"
    assert event.after["recipients"] == 1


def test_late_reminders_the_day_after_and_one_escalation(world):
    schedule(world)
    run(date(2026, 4, 1))
    report = ProgressReport.objects.get()
    p = partners(world)
    assert counts(run(date(2026, 4, 14))) == (0, 3, 0)  # before: nobody submitted
    result = run(date(2026, 4, 15))
    assert counts(result) == (0, 3, 1)
    late = reminders().filter(title__contains="was due on")
    assert {n.recipient for n in late} == {world.coordinator, world.member}
    escalation = reminders("continuity.report_late").get()
    assert escalation.recipient == world.coordinator
    assert str(report.code) in escalation.url
    for name in ("Polisen Malmö", "Malmö stad", "Sofielund Fastighetsägare"):
        assert name in escalation.body
    assert counts(run(date(2026, 4, 16))) == (0, 0, 0)
    assert counts(run(date(2026, 5, 30))) == (0, 0, 0)
    assert reminders("continuity.report_late").count() == 1
    assert ReportReminder.objects.filter(kind="escalated").count() == 1
    assert ReportReminder.objects.filter(kind="late").count() == 3
    assert events("continuity.report.escalated").get().after["recipients"] == 1
    assert ReportReminder.objects.filter(report=report, partner=p.city, kind="late").exists()


def test_submitting_stops_further_reminders(world):
    schedule(world)
    run(date(2026, 4, 1))
    report = ProgressReport.objects.get()
    p = partners(world)
    run(date(2026, 4, 11))
    submit(world.member, report, p.city, date(2026, 4, 12))
    submit(world.coordinator, report, p.police, date(2026, 4, 13))
    result = run(date(2026, 4, 15))
    assert counts(result) == (0, 1, 1)  # only the shop is late (nobody to tell there)
    assert not reminders().filter(title__contains="was due on").exists()
    assert "Sofielund Fastighetsägare" in reminders("continuity.report_late").get().body
    assert "Malmö stad" not in reminders("continuity.report_late").get().body


def test_no_escalation_when_every_section_is_in(world):
    schedule(world)
    run(date(2026, 4, 1))
    report = ProgressReport.objects.get()
    p = partners(world)
    submit(world.member, report, p.city, date(2026, 4, 2))
    submit(world.coordinator, report, p.police, date(2026, 4, 2))
    ReportSection.objects.filter(report=report, partner=p.shop).update(submitted_at=at(date(2026, 4, 2)))
    assert counts(run(date(2026, 4, 11))) == (0, 0, 0)
    assert counts(run(date(2026, 4, 15))) == (0, 0, 0)
    assert not ReportReminder.objects.exists()


def test_signed_off_report_is_not_reminded(world):
    schedule(world)
    run(date(2026, 4, 1))
    report = ProgressReport.objects.get()
    services.report_sign_off(actor=world.coordinator, report=report, summary="Closed early.")
    assert counts(run(date(2026, 4, 15))) == (0, 0, 0)


def test_monthly_schedule(world):
    schedule(world, frequency="monthly", days_to_contribute=10, remind_days_before=2)
    result = run(date(2026, 3, 5))
    assert result.reports_opened == 2  # January and February
    january, february = ProgressReport.objects.order_by("period_start")
    assert (january.period_end, january.due_date) == (date(2026, 1, 31), date(2026, 2, 10))
    assert (february.period_end, february.due_date) == (date(2026, 2, 28), date(2026, 3, 10))
    # Both were opened today; January was already past its deadline when it opened: no late reminders.
    assert counts(result)[1:] == (0, 0)
    assert counts(run(date(2026, 3, 8))) == (0, 3, 0)  # February: two days before the 10th
    assert counts(run(date(2026, 3, 11))) == (0, 3, 1)
    assert counts(run(date(2026, 4, 1))) == (1, 0, 0)  # March
    assert ProgressReport.objects.count() == 3


def test_month_ends_follow_the_calendar(world):
    schedule(world, frequency="monthly", starts_on=date(2026, 1, 31))
    run(date(2026, 4, 15))
    assert list(
        ProgressReport.objects.order_by("period_start").values_list("period_start", "period_end")
    ) == [
        (date(2026, 1, 31), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2026, 3, 30)),
    ]


def test_inactive_schedule_does_nothing(world):
    schedule(world, active=False)
    assert counts(run(date(2026, 7, 1))) == (0, 0, 0)
    assert not ProgressReport.objects.exists()


def test_ended_partnership_does_nothing(world):
    schedule(world)
    Partnership.objects.filter(pk=world.partnership_a.pk).update(status="ended")
    assert counts(run(date(2026, 7, 1))) == (0, 0, 0)


def test_history_is_opened_only_for_the_last_400_days(world):
    schedule(world, starts_on=date(2020, 1, 1))
    result = run(date(2026, 4, 1))
    starts = sorted(ProgressReport.objects.values_list("period_start", flat=True))
    assert starts == [
        date(2025, 1, 1),
        date(2025, 4, 1),
        date(2025, 7, 1),
        date(2025, 10, 1),
        date(2026, 1, 1),
    ]
    assert result.reports_opened == 5
    # The old reports were late when they opened: their opening notice is all partners get.
    assert (result.reminders_sent, result.escalations) == (0, 0)
    assert counts(run(date(2026, 4, 15))) == (0, 3, 1)  # the current quarter is reminded as usual


def test_partnerships_are_independent(world):
    schedule(world)
    services.schedule_set(
        actor=world.coordinator_b,
        partnership=world.partnership_b,
        frequency="half_yearly",
        starts_on=date(2025, 7, 1),
    )
    result = run(date(2026, 1, 1))
    assert result.reports_opened == 1
    report = ProgressReport.objects.get()
    assert report.partnership == world.partnership_b
    assert (report.period_start, report.period_end) == (date(2025, 7, 1), date(2025, 12, 31))
    assert {n.recipient for n in reminders("continuity.report_open")} == {world.coordinator_b}


def test_default_day_is_the_clock_today(world):
    schedule(world)
    with clock.frozen(at(date(2026, 4, 1))):
        assert services.run_daily().reports_opened == 1
    with clock.frozen(at(date(2026, 3, 31))):
        assert services.run_daily(on=date(2026, 4, 20)).reports_opened == 0


def test_emails_of_report_notifications_carry_the_title_and_a_link(world):
    """Reports are TLP:GREEN: the email may name the period; it always carries the link."""
    NotificationSetting.objects.create(user=world.member, email_mode=EmailMode.IMMEDIATE)
    schedule(world)
    run(date(2026, 4, 1))
    note = reminders("continuity.report_open").get(recipient=world.member)
    subject, body = render_email(note)
    assert "please fill in your section" in subject
    assert note.url in body


def test_the_task_runs_the_daily_job(world, settings):
    from safepact.lib.scheduler import periodic_jobs, run_queued_tasks

    assert periodic_jobs()["continuity.daily"] is tasks.continuity_daily
    NotificationSetting.objects.create(user=world.member, email_mode=EmailMode.IMMEDIATE)
    schedule(world)
    with clock.frozen(at(date(2026, 4, 1))):
        tasks.continuity_daily.enqueue()
        done = run_queued_tasks(raise_errors=True)
    assert done
    assert ProgressReport.objects.count() == 1
    # The member chose immediate email: the notification's email task ran in the same round.
    assert any("please fill in your section" in message.subject for message in mail.outbox)
    assert all(world.member.email in message.to for message in mail.outbox)


@pytest.mark.parametrize("days", [0, 1, 2, 3])
def test_before_window_follows_remind_days_before(world, days):
    schedule(world, remind_days_before=days)
    run(date(2026, 4, 1))
    due = date(2026, 4, 14)
    assert counts(run(due - timedelta(days=days + 1)))[1] == 0
    assert counts(run(due - timedelta(days=days)))[1] == 3


def test_one_partnership_failing_does_not_stop_the_job_for_the_others(world, monkeypatch, caplog):
    schedule(world)
    services.schedule_set(
        actor=world.coordinator_b,
        partnership=world.partnership_b,
        frequency="quarterly",
        starts_on=date(2026, 1, 1),
    )
    real = services._open_due_reports

    def broken_for_a(schedule, on):
        if schedule.partnership_id == world.partnership_a.pk:
            raise RuntimeError("bad data in A")
        return real(schedule, on)

    monkeypatch.setattr(services, "_open_due_reports", broken_for_a)
    result = run(date(2026, 4, 1))
    assert result.failed == [world.partnership_a.pk]
    assert ProgressReport.objects.filter(partnership=world.partnership_b).count() == 1
    assert not ProgressReport.objects.filter(partnership=world.partnership_a).exists()
    assert "bad data in A" in caplog.text

    monkeypatch.setattr(services, "_open_due_reports", real)
    assert run(date(2026, 4, 2)).failed == []  # the next run catches up
    assert ProgressReport.objects.filter(partnership=world.partnership_a).count() == 1
