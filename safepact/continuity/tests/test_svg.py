"""The pictures, read back as XML: the Gantt chart of the action plan and the resources chart."""

import xml.etree.ElementTree as ET
from datetime import date

from safepact.continuity.selectors import ActionPlan, MonthBar, PlanRow, Resources
from safepact.continuity.svg import gantt_svg, resources_svg

NS = {"s": "http://www.w3.org/2000/svg"}
ON = date(2026, 6, 15)


def _parse(picture):
    return ET.fromstring(str(picture.render()))


def _row(code, title, start, due, *, overdue=False, status="planned", deps=()):
    return PlanRow(
        kind="activity",
        code=code,
        title=title,
        owner="Malmö stad",
        start=start,
        due=due,
        status=status,
        status_label=status.title(),
        overdue=overdue,
        days_overdue=(ON - due).days if overdue else 0,
        depends_on_codes=list(deps),
    )


def test_gantt_has_a_bar_group_per_row_today_line_and_dependencies():
    rows = [
        _row("a1", "Survey <shops>", date(2026, 4, 1), date(2026, 6, 1), overdue=True),
        _row("a2", "Lights", date(2026, 6, 2), date(2026, 8, 31), deps=["a1"]),
        _row("a3", "Done thing", date(2026, 3, 1), date(2026, 3, 31), status="done"),
    ]
    root = _parse(gantt_svg(ActionPlan(rows=rows, overdue=1), on=ON))
    assert root.get("role") == "img"
    assert root.find("s:title", NS).text == "Action plan"
    assert "1 overdue" in root.find("s:desc", NS).text
    bars = {g.get("data-code"): g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("data-code")}
    assert set(bars) == {"a1", "a2", "a3"}
    overdue = bars["a1"]
    assert "overdue" in overdue.get("class").split()
    assert overdue.find("s:title", NS).text.endswith("overdue by 14 days")
    assert "Survey <shops>" in overdue.find("s:title", NS).text  # escaped in the source, text when parsed
    assert [t.text for t in overdue.findall("s:text", NS)] == ["Survey <shops>", "overdue"]
    assert overdue.find("s:rect", NS).get("fill") == "#a4161a"
    assert overdue.find("s:rect", NS).get("stroke-dasharray") == "4 2"
    assert "overdue" not in bars["a2"].get("class")
    deps = [p for p in root.iter("{http://www.w3.org/2000/svg}polyline") if p.get("data-from")]
    assert [(p.get("data-from"), p.get("data-to")) for p in deps] == [("a1", "a2")]
    today = next(g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "today")
    assert today.find("s:text", NS).text == "Today 06/15/2026"
    months = next(g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "months")
    assert [t.text for t in months.findall("s:text", NS)] == [
        "Mar 2026",
        "Apr 2026",
        "May 2026",
        "Jun 2026",
        "Jul 2026",
        "Aug 2026",
    ]


def test_gantt_of_an_empty_plan_says_so():
    root = _parse(gantt_svg(ActionPlan(rows=[], overdue=0), on=ON))
    assert [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")] == ["Nothing planned yet."]


def _resources(**kwargs):
    months = [
        MonthBar(month=date(2025 + (m + 6) // 12, (m + 6) % 12 + 1, 1), committed=10.0, used=float(m))
        for m in range(12)
    ]
    values = {
        "rows": [],
        "runway_end": None,
        "runway_days": None,
        "funding_ending": [],
        "months": months,
        "on": ON,
    }
    values.update(kwargs)
    return Resources(**values)


def test_resources_chart_has_twelve_months_and_the_runway():
    root = _parse(resources_svg(_resources(runway_end=date(2026, 9, 30), runway_days=107, has_funding=True)))
    groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "month"]
    assert len(groups) == 12
    assert groups[-1].get("data-month") == "2026-06-01"
    assert groups[-1].find("s:title", NS).text == "Jun 2026: 10 hours committed, 11 used"
    assert {r.get("class") for r in groups[0].findall("s:rect", NS)} == {"committed", "used"}
    runway = next(g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "runway")
    assert runway.find("s:text", NS).text == "Funded until Sept. 30, 2026 (107 days)."
    assert "Funded until" in root.find("s:desc", NS).text


def test_resources_chart_without_funding():
    root = _parse(resources_svg(_resources()))
    runway = next(g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "runway")
    assert runway.find("s:text", NS).text == "No funding recorded for today."
    root = _parse(resources_svg(_resources(has_funding=True, open_ended=True)))
    assert "no end date" in root.find("s:desc", NS).text
