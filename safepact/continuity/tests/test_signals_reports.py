"""overdue_reports: a report past its due date and not signed off (its sections missing, or only the
sign-off) warns; more than 30 days past due is danger."""

from datetime import date

from safepact.continuity.tests.signals_support import at, report, setup, signal, texts

ON = date(2026, 6, 15)


def _q1(world, p, due, **kwargs):
    return report(
        world.partnership_a, p.all(), start=date(2026, 1, 1), end=date(2026, 3, 31), due=due, **kwargs
    )


def test_due_today_is_not_late(world):
    p = setup(world)
    _q1(world, p, ON)
    found = signal(world.partnership_a, "overdue_reports", ON)
    assert (found.level, found.summary) == ("ok", "No progress report is late.")


def test_one_day_late_warns_with_missing_sections(world):
    p = setup(world)
    _q1(world, p, date(2026, 6, 14), submitted=[p.police])
    found = signal(world.partnership_a, "overdue_reports", ON)
    assert found.level == "warning"
    assert texts(found) == [
        "Report Jan. 1, 2026 to March 31, 2026: due on June 14, 2026, 2 of 3 sections missing"
    ]
    assert found.evidence[0].url.endswith("/")  # the report's page
    assert (found.now_value, found.before_value, found.trend) == (1, 0, "worse")


def test_all_sections_in_but_not_signed_off_still_warns(world):
    p = setup(world)
    _q1(world, p, date(2026, 6, 1), submitted=p.all())
    found = signal(world.partnership_a, "overdue_reports", ON)
    assert texts(found) == ["Report Jan. 1, 2026 to March 31, 2026: due on June 1, 2026, not signed off"]


def test_thirty_days_is_warning_thirty_one_is_danger(world):
    p = setup(world)
    found_report = _q1(world, p, date(2026, 5, 16))
    assert signal(world.partnership_a, "overdue_reports", ON).level == "warning"
    found_report.due_date = date(2026, 5, 15)
    found_report.save()
    found = signal(world.partnership_a, "overdue_reports", ON)
    assert found.level == "danger"
    # May 15 had not passed on May 16 - 30 days ... it had: one day late then.
    assert (found.before_value, found.trend) == (1, "worse")


def test_signed_off_is_fine_and_the_trend_better(world):
    p = setup(world)
    _q1(world, p, date(2026, 4, 14), signed_off_at=at(date(2026, 6, 1)))
    found = signal(world.partnership_a, "overdue_reports", ON)
    assert found.level == "ok"
    # On May 16 it was a month late and not signed off.
    assert (found.before_value, found.trend) == (1, "better")
