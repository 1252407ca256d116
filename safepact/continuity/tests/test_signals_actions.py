"""overdue_actions: open activities and action items past their due date warn; any more than 30 days
overdue is danger. Evidence: title, owner and days overdue, at most five."""

from datetime import date

from safepact.continuity.models import ActivityStatus
from safepact.continuity.tests.signals_support import action_item, activity, at, meeting, setup, signal, texts
from safepact.meetings.models import ActionStatus, Status

ON = date(2026, 6, 15)


def test_due_today_is_not_overdue(world):
    p = setup(world)
    activity(world.partnership_a, world.coordinator, p.city, start=date(2026, 5, 1), due=ON)
    found = signal(world.partnership_a, "overdue_actions", ON)
    assert (found.level, found.evidence) == ("ok", [])


def test_one_day_overdue_warns(world):
    p = setup(world)
    activity(world.partnership_a, world.coordinator, p.city, start=date(2026, 5, 1), due=date(2026, 6, 14))
    found = signal(world.partnership_a, "overdue_actions", ON)
    assert found.level == "warning"
    assert texts(found) == ["Street lighting (Malmö stad): 1 day overdue"]
    assert (found.now_value, found.before_value, found.trend) == (1, 0, "worse")


def test_thirty_days_is_warning_thirty_one_is_danger(world):
    p = setup(world)
    m = meeting(world.partnership_a, world.coordinator, date(2026, 4, 1), status=Status.HELD)
    item = action_item(m, world.coordinator, p.shop, due=date(2026, 5, 16))  # 30 days
    assert signal(world.partnership_a, "overdue_actions", ON).level == "warning"
    item.due_date = date(2026, 5, 15)
    item.save()
    found = signal(world.partnership_a, "overdue_actions", ON)
    assert found.level == "danger"
    assert texts(found) == ["Send the list (Sofielund Fastighetsägare): 31 days overdue"]


def test_done_and_cancelled_are_not_overdue(world):
    p = setup(world)
    activity(
        world.partnership_a,
        world.coordinator,
        p.city,
        start=date(2026, 5, 1),
        due=date(2026, 6, 1),
        status=ActivityStatus.DONE,
        done_at=at(date(2026, 6, 10)),
    )
    activity(
        world.partnership_a,
        world.coordinator,
        p.city,
        start=date(2026, 5, 1),
        due=date(2026, 6, 1),
        status=ActivityStatus.CANCELLED,
    )
    m = meeting(world.partnership_a, world.coordinator, date(2026, 4, 1), status=Status.HELD)
    action_item(
        m,
        world.coordinator,
        p.shop,
        due=date(2026, 5, 1),
        status=ActionStatus.DONE,
        done_at=at(date(2026, 6, 1)),
    )
    found = signal(world.partnership_a, "overdue_actions", ON)
    assert found.level == "ok"
    # 30 days earlier (May 16) the action item (due May 1) was open and overdue.
    assert (found.before_value, found.trend) == (1, "better")


def test_evidence_lists_five_most_overdue_and_counts_the_rest(world):
    p = setup(world)
    for n in range(7):
        activity(
            world.partnership_a,
            world.coordinator,
            p.police,
            title=f"Task {n}",
            start=date(2026, 5, 1),
            due=date(2026, 6, 1 + n),
        )
    found = signal(world.partnership_a, "overdue_actions", ON)
    assert found.summary == "7 activities and actions are past their due date."
    assert texts(found) == [
        "Task 0 (Polisen Malmö): 14 days overdue",
        "Task 1 (Polisen Malmö): 13 days overdue",
        "Task 2 (Polisen Malmö): 12 days overdue",
        "Task 3 (Polisen Malmö): 11 days overdue",
        "Task 4 (Polisen Malmö): 10 days overdue",
        "and 2 more",
    ]


def test_trend_same_when_still_overdue(world):
    p = setup(world)
    activity(world.partnership_a, world.coordinator, p.city, start=date(2026, 1, 1), due=date(2026, 5, 1))
    found = signal(world.partnership_a, "overdue_actions", ON)
    assert found.level == "danger"
    # 30 days earlier it was overdue by 15 days: a warning then, danger now.
    assert (found.now_value, found.before_value, found.trend) == (1, 1, "worse")
